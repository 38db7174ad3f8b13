//! The runtime of [backstop](https://docs.rs/backstop): error classification, backoff and
//! jitter, the drivers that retry blocking calls and futures, circuit breakers, and retry
//! budgets.
//!
//! Most users depend on `backstop` and write `#[retry(...)]`; this crate is what the
//! generated code calls, and it is usable on its own:
//!
//! ```
//! use std::time::Duration;
//! use retry_core::{Backoff, Jitter, Retry, RetryPolicy};
//!
//! const POLICY: RetryPolicy = RetryPolicy::new()
//!     .with_attempts(5)
//!     .with_backoff(Backoff::constant(Duration::from_millis(1)))
//!     .with_jitter(Jitter::Full);
//!
//! let mut left = 2;
//! let result = Retry::new(&POLICY).call(|| {
//!     left -= 1;
//!     if left > 0 { Err(std::io::Error::from(std::io::ErrorKind::TimedOut)) } else { Ok(left) }
//! });
//! assert_eq!(result.unwrap(), 0);
//! ```
//!
//! # Features
//!
//! - `tokio` (default): async retries sleep and time out on tokio's timer, so tests with a
//!   paused clock see exact schedules without waiting.
//! - `tracing`: one `debug` event per retry and one `warn` event when a call gives up; circuit
//!   breakers log each change of state (opening at `warn`, the others at `info`).
//!
//! # Circuit breakers
//!
//! A [`CircuitBreaker`] rejects calls with [`CircuitOpen`] while the service behind it keeps
//! failing, and lets a few probes through to find out when it is back. Breakers are shared
//! by name through a process-wide registry:
//!
//! ```
//! use retry_core::{BreakerConfig, BreakerHandle, Window};
//!
//! static PAYMENTS: BreakerHandle = BreakerHandle::new(
//!     "lib-payments",
//!     BreakerConfig::new().with_window(Window::Count(20)).with_min_calls(5),
//! );
//!
//! fn charge(cents: u64) -> std::io::Result<u64> {
//!     PAYMENTS.get().call(|| Ok(cents))
//! }
//!
//! assert_eq!(charge(250).unwrap(), 250);
//! let metrics = retry_core::breaker("lib-payments").unwrap().metrics();
//! assert_eq!((metrics.calls, metrics.failure_rate()), (1, Some(0.0)));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backoff;
mod blocking;
mod breaker;
mod budget;
mod classify;
mod clock;
mod context;
mod error;
mod future;
mod hooks;
mod jitter;
mod log;
mod policy;
mod registry;
mod state;
mod sync;

#[cfg(all(test, loom))]
mod loom_tests;

#[doc(hidden)]
pub mod private;

pub use backoff::{Backoff, InvalidBackoff};
pub use blocking::Retry;
pub use breaker::{
    BreakerConfig, BreakerFuture, BreakerState, CircuitBreaker, InvalidBreakerConfig, Metrics,
    Outcome, Permit, Transition, Window,
};
pub use budget::{BudgetConfig, InvalidBudget, RetryBudget};
pub use classify::{Classification, Retryable};
pub use clock::{Clock, DefaultClock, Timer};
pub use context::{AttemptContext, IdempotencyKey};
pub use error::{CircuitOpen, TimedOut};
pub use future::{RetryFuture, Timeout};
pub use hooks::{ByRetryable, Classifier, OnRetry, When};
pub use jitter::{Jitter, seed_thread_rng, with_thread_rng};
pub use policy::RetryPolicy;
pub use registry::{
    BreakerHandle, BudgetHandle, RegistryError, breaker, breakers, budget, register_breaker,
    register_budget, registry_problems,
};
pub use state::{AttemptState, Decision, GiveUp, RetryState};
