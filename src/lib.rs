//! Retries and circuit breakers for calls to services that fail, with every policy checked
//! when your crate compiles.
//!
//! ```
//! use backstop::{retry, Retryable};
//!
//! #[derive(Debug, Retryable)]
//! enum FetchError {
//!     #[retryable(transient)]
//!     Unavailable,
//!     #[retryable(permanent)]
//!     NotFound,
//! }
//!
//! #[retry(attempts = 4, backoff = exponential(1ms, factor = 2, max = 10ms))]
//! fn fetch(tries: &mut u32) -> Result<&'static str, FetchError> {
//!     *tries += 1;
//!     if *tries < 3 { Err(FetchError::Unavailable) } else { Ok("payload") }
//! }
//!
//! let mut tries = 0;
//! assert_eq!(fetch(&mut tries).unwrap(), "payload");
//! assert_eq!(tries, 3);
//! ```
//!
//! - [`macro@retry`] rewrites a sync or async fn into a retry loop: jittered backoff,
//!   deadlines, server-requested waits, per-attempt timeouts.
//! - [`Retryable`] (and its derive) says which errors are worth another attempt.
//! - [`Retry`] and [`RetryPolicy`] retry closures and futures without the macro.
//!
//! # Features
//!
//! - `tokio` (default): async fns sleep and time out on tokio's timer, so tests with a
//!   paused clock (`#[tokio::test(start_paused = true)]`) run instantly and see exact
//!   schedules. Async `#[retry]` fns need it.
//! - `tracing`: one `debug` event per retry (attempt, delay, error) and one `warn` when a
//!   call gives up; nothing on the happy path.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub use retry_core::private as __private;
pub use retry_core::{
    AttemptContext, AttemptState, Backoff, BreakerConfig, BreakerFuture, BreakerHandle,
    BreakerState, BudgetConfig, BudgetHandle, ByRetryable, CircuitBreaker, CircuitOpen,
    Classification, Classifier, Clock, Decision, DefaultClock, GiveUp, IdempotencyKey,
    InvalidBackoff, InvalidBreakerConfig, InvalidBudget, Jitter, Metrics, OnRetry, Outcome, Permit,
    RegistryError, Retry, RetryBudget, RetryFuture, RetryPolicy, RetryState, Retryable, TimedOut,
    Timeout, Timer, Transition, When, Window, breaker, breakers, budget, register_breaker,
    register_budget, registry_problems, seed_thread_rng, with_thread_rng,
};

/// Implements [`Retryable`] for an enum from a mark on each variant.
///
/// | mark | the variant classifies as |
/// |---|---|
/// | `#[retryable(transient)]` | [`Classification::Transient`] |
/// | `#[retryable(permanent)]` | [`Classification::Permanent`] |
/// | `#[retryable(delegate)]` | whatever its single field's `Retryable` impl says |
///
/// A variant without a mark is a compile error, unless the enum sets a default with
/// `#[retryable(default = transient)]` or `#[retryable(default = permanent)]`.
///
/// # Examples
///
/// ```
/// use backstop::{Classification, Retryable};
///
/// #[derive(Debug, Retryable)]
/// #[retryable(default = permanent)]
/// enum ApiError {
///     #[retryable(transient)]
///     Overloaded,
///     #[retryable(delegate)]
///     Io(std::io::Error),
///     BadRequest(String),
/// }
///
/// assert_eq!(ApiError::Overloaded.classify(), Classification::Transient);
/// let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
/// assert_eq!(ApiError::Io(reset).classify(), Classification::Transient);
/// assert_eq!(ApiError::BadRequest("no".into()).classify(), Classification::Permanent);
/// ```
///
/// An unmarked variant without a default does not compile:
///
/// ```compile_fail
/// #[derive(backstop::Retryable)]
/// enum Unclear {
///     Maybe,
/// }
/// ```
pub use retry_macros::Retryable;

#[doc = include_str!("retry.md")]
pub use retry_macros::retry;

#[doc = include_str!("circuit_breaker.md")]
pub use retry_macros::circuit_breaker;
