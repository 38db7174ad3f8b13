//! The entry points of the code that `#[retry]` and `#[circuit_breaker]` generate. Not a
//! public API: names and signatures change without notice.
//!
//! The generated function keeps its body and runs it once per attempt, in place; between
//! attempts it asks a [`Call`] what to do. Everything here is small and `#[inline]` so that
//! a call that succeeds the first time costs what the plain function costs.
//!
//! # `#[circuit_breaker]`
//!
//! The breaker is resolved once per function through a [`BreakerHandle`] in a `static`;
//! after that, each call through a closed breaker is one atomic load to be admitted, inlined
//! here, and, out of line, one atomic write to record its outcome in a count window, four
//! when the outcome changes the window (see [`Window::Count`]). A sketch of the expansion of
//! a sync fn (an async fn is the same with the body awaited: the permit is a drop guard, so
//! a cancelled call records nothing and a panicking one records a failure):
//!
//! ```
//! use retry_core::private as __private;
//! # #[derive(Debug)] struct MyError;
//! # impl From<retry_core::CircuitOpen> for MyError {
//! #     fn from(_: retry_core::CircuitOpen) -> Self { MyError }
//! # }
//! # impl retry_core::Retryable for MyError {
//! #     fn classify(&self) -> retry_core::Classification { retry_core::Classification::Transient }
//! # }
//!
//! // Input: #[circuit_breaker(name = "inventory", failure_rate = 0.25, window = count(20))]
//! //        fn stock(item: u32) -> Result<u32, MyError> { Ok(item) }
//! // Output:
//! fn stock(item: u32) -> Result<u32, MyError> {
//!     const __CONFIG: __private::BreakerConfig = __private::checked_breaker(
//!         __private::BreakerConfig::new()
//!             .with_failure_rate(0.25)
//!             .with_window(__private::Window::Count(20)),
//!     );
//!     static __BREAKER: __private::BreakerHandle =
//!         __private::BreakerHandle::new("inventory", __CONFIG);
//!
//!     let __permit = match __BREAKER.get().try_acquire() {
//!         Ok(permit) => permit,
//!         Err(open) => return Err(__private::rejected::<Result<u32, MyError>>(open)),
//!     };
//!     let __result: Result<u32, MyError> = __private::attempt(|| Ok(item));
//!     __permit.record_result(&__result, &__private::by_retryable::<Result<u32, MyError>>());
//!     __result
//! }
//! # assert_eq!(stock(3).unwrap(), 3);
//! ```
//!
//! With `when = pred`, the classifier is `__private::when::<R, _>(pred)`: `true` counts the
//! error as a failure, `false` leaves it out, like a permanent error.

use std::fmt::Debug;
use std::time::{Duration, Instant};

pub use crate::hooks::{ByRetryable, Classifier, OnRetry, When};
pub use crate::{
    AttemptContext, AttemptState, Backoff, BreakerConfig, BreakerHandle, BudgetHandle,
    CircuitBreaker, CircuitOpen, Classification, IdempotencyKey, Jitter, RetryBudget, RetryPolicy,
    Retryable, TimedOut, Window,
};

use crate::blocking::decide_logged;
use crate::{Clock, DefaultClock, RetryState};

/// The retry bookkeeping of one call of a generated function.
pub struct Call<'p> {
    state: RetryState<'p>,
}

impl<'p> Call<'p> {
    /// Starts a call measured on the async timer's clock; `hooked` when an `on_retry` hook
    /// will want the elapsed time.
    #[cfg(feature = "tokio")]
    #[inline]
    pub fn timed(policy: &'p RetryPolicy, hooked: bool) -> Self {
        let start = (RetryState::needs_start(policy) || hooked).then(async_now);
        Call {
            state: RetryState::new(policy, start),
        }
    }

    /// The number of the attempt about to run; the first is 1.
    #[inline]
    pub fn attempt(&self) -> u32 {
        self.state.attempt()
    }

    /// After a failed attempt: the delay to sleep before the next one, or `None` to return
    /// the error. Out of line and cold, so that the happy path of the generated fn keeps
    /// its registers for the body.
    #[cold]
    #[inline(never)]
    pub fn on_error<E, C, H>(
        &mut self,
        error: &E,
        classifier: &C,
        hook: &H,
        debug: Option<&dyn Debug>,
        now: fn() -> Instant,
    ) -> Option<Duration>
    where
        C: Classifier<E>,
        H: OnRetry<E>,
    {
        let class = classifier.classify(error);
        decide_logged(&mut self.state, error, class, hook, debug, now).map(|s| s.next_delay)
    }
}

/// The standard clock's `now`, for [`Call::on_error`] in blocking functions.
#[inline]
pub fn blocking_now() -> Instant {
    DefaultClock.now()
}

/// The async timer's `now`, for [`Call::on_error`] in async functions.
#[cfg(feature = "tokio")]
#[inline]
pub fn async_now() -> Instant {
    crate::Timer::now(&DefaultClock)
}

/// Sleeps the current thread; a zero delay does not call into the OS at all.
#[inline]
pub fn sleep_blocking(delay: Duration) {
    if !delay.is_zero() {
        DefaultClock.sleep(delay);
    }
}

/// Sleeps on the async timer.
#[cfg(feature = "tokio")]
#[inline]
pub fn sleep(delay: Duration) -> impl std::future::Future<Output = ()> {
    crate::Timer::sleep(&DefaultClock, delay)
}

/// Bounds an attempt in time on the async timer.
#[cfg(feature = "tokio")]
#[inline]
pub fn timeout<F: std::future::Future>(
    limit: Duration,
    attempt: F,
) -> crate::Timeout<F, DefaultClock> {
    crate::Timeout::new(attempt, limit, DefaultClock)
}

/// A value given again to each attempt: a copy, a clone or a shared reference.
#[diagnostic::on_unimplemented(
    message = "`{Self}` must be `Clone` to be passed to every attempt of a `#[retry]` fn",
    label = "this argument is given again to each attempt, so it is cloned",
    note = "take it by reference, wrap it in `Arc`, or derive or implement `Clone` for it"
)]
pub trait Rebind: Sized {
    /// The value for the next attempt.
    fn rebind(&self) -> Self;
}

impl<T: Clone> Rebind for T {
    #[inline]
    fn rebind(&self) -> Self {
        self.clone()
    }
}

/// The return type of a retried function: a `Result` under any name.
#[diagnostic::on_unimplemented(
    message = "`#[retry]` needs a fn that returns `Result<T, E>`, found `{Self}`",
    label = "this is not a `Result`",
    note = "retrying needs an error to decide on; an alias of `Result` such as `io::Result<T>` \
            works too"
)]
pub trait IsResult: Sized {
    /// The error type.
    type Err;
    /// `Ok(self)` when `self` is a success, to be returned as it is; `Err` with the error
    /// otherwise.
    fn into_error(self) -> Result<Self, Self::Err>;
}

impl<T, E> IsResult for Result<T, E> {
    type Err = E;

    #[inline(always)]
    fn into_error(self) -> Result<Self, E> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(error) => Err(error),
        }
    }
}

/// Runs one attempt of a blocking body; the bound fixes the closure's return type, so `?`
/// and `return` inside the body see the function's own return type.
#[inline(always)]
pub fn attempt<R, F: FnOnce() -> R>(body: F) -> R {
    body()
}

/// Fixes the type of a `when` predicate's argument to the function's error type.
#[inline]
pub fn when<R: IsResult, F: Fn(&R::Err) -> bool>(predicate: F) -> When<F> {
    When(predicate)
}

/// Fixes the type of a `classify` function's argument to the function's error type.
#[inline]
pub fn classify<R: IsResult, F: Fn(&R::Err) -> Classification>(classify: F) -> F {
    classify
}

/// Fixes the types of an `on_retry` hook's arguments.
#[inline]
pub fn on_retry<R: IsResult, F: Fn(&R::Err, &AttemptState)>(hook: F) -> F {
    hook
}

/// The classifier of a function without `when` or `classify`: its error's `Retryable`
/// impl. The bound is here, on the user's return type, so that a missing impl is reported
/// there once; the fn pointer carries no further bound.
#[inline]
pub fn by_retryable<R: IsResult>() -> fn(&R::Err) -> Classification
where
    R::Err: Retryable,
{
    <R::Err as Retryable>::classify
}

/// Checks that the error type can take an expired attempt, for the `timeout` option.
#[inline]
pub fn timed_out<E: From<TimedOut>>(limit: Duration) -> E {
    E::from(TimedOut { limit })
}

/// Hands the error to the log as `Debug` when it is, without requiring it.
///
/// With [`ViaDebug`] and [`NoDebug`] in scope, `(&DebugProbe(&e)).debug()` resolves to
/// `ViaDebug` when `E: Debug` (no autoref needed) and to `NoDebug` otherwise.
pub struct DebugProbe<'a, E>(pub &'a E);

/// The error is `Debug`: log it.
pub trait ViaDebug<'a> {
    /// The error as `Debug`.
    fn debug(&self) -> Option<&'a dyn Debug>;
}

impl<'a, E: Debug> ViaDebug<'a> for DebugProbe<'a, E> {
    #[inline]
    fn debug(&self) -> Option<&'a dyn Debug> {
        Some(self.0)
    }
}

/// The error is not `Debug`: log without it.
pub trait NoDebug<'a> {
    /// Nothing to print.
    fn debug(&self) -> Option<&'a dyn Debug>;
}

impl<'a, E> NoDebug<'a> for &DebugProbe<'a, E> {
    #[inline]
    fn debug(&self) -> Option<&'a dyn Debug> {
        None
    }
}

/// The cap of a linear or exponential backoff without `max`: 10 s, or the initial delay
/// if that is longer.
pub const fn default_max(initial: Duration) -> Duration {
    let ten_seconds = Duration::from_secs(10);
    if initial.as_nanos() > ten_seconds.as_nanos() {
        initial
    } else {
        ten_seconds
    }
}

/// Rejects a zero duration during const evaluation, for `Duration` expressions that the
/// macro cannot see into.
pub const fn nonzero_duration(duration: Duration, message: &'static str) -> Duration {
    if duration.is_zero() {
        panic!("{}", message);
    }
    duration
}

/// Checks a breaker configuration where it is built, in a `const` item: an invalid one is
/// a compile error that says what is wrong (the attribute reports it first, with a span;
/// this is the safety net).
///
/// # Panics
///
/// When `config` does not validate; in a `const` item that is a compile error.
pub const fn checked_breaker(config: BreakerConfig) -> BreakerConfig {
    match config.validate() {
        Ok(()) => config,
        Err(error) => panic!("{}", error.reason()),
    }
}

/// Turns a rejection into the function's error type; the bound sits on the user's return
/// type, so that a missing `From<CircuitOpen>` is reported there.
#[inline]
pub fn rejected<R: IsResult>(open: CircuitOpen) -> R::Err
where
    R::Err: From<CircuitOpen>,
{
    From::from(open)
}

/// What `#[retry(budget = PATH)]` can name: a `static` [`RetryBudget`] or a
/// [`BudgetHandle`] registered by name.
#[diagnostic::on_unimplemented(
    message = "`budget` must name a `RetryBudget` or a `BudgetHandle`, found `{Self}`",
    label = "not a retry budget",
    note = "declare one with `static NAME: backstop::RetryBudget = RetryBudget::new(10, 0.1);`"
)]
pub trait AsBudget {
    /// The budget itself.
    fn budget(&self) -> &RetryBudget;
}

impl AsBudget for RetryBudget {
    #[inline]
    fn budget(&self) -> &RetryBudget {
        self
    }
}

impl AsBudget for BudgetHandle {
    #[inline]
    fn budget(&self) -> &RetryBudget {
        self.get()
    }
}

/// When a blocking call starts, if anything will measure time from it: a deadline, or an
/// `on_retry` hook (`hooked`) that reads the elapsed time.
#[inline]
pub fn start_blocking(policy: &RetryPolicy, hooked: bool) -> Option<Instant> {
    (RetryState::needs_start(policy) || hooked).then(blocking_now)
}

/// Fixes a blocking attempt closure's return type to the fn's, so that `?` and `return`
/// in the body see it. The closure takes the attempt's number, the first being 1.
#[inline(always)]
pub fn attempt_fn<R, F: FnMut(u32) -> R>(attempt: F) -> F {
    attempt
}

/// Fixes the argument type of the closure that hands an error to the log as `Debug`.
#[inline(always)]
pub fn debug_fn<R, F>(debug: F) -> F
where
    R: IsResult,
    F: for<'a> Fn(&'a R::Err) -> Option<&'a dyn Debug>,
{
    debug
}

/// The retries of a blocking fn, after its first attempt failed with `first`: out of line
/// and cold, so that a call that succeeds at once costs one inlined attempt and a branch.
///
/// Returns the first success, or the error to give up with.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub fn retry_blocking<R, F, C, H, D>(
    policy: &RetryPolicy,
    start: Option<Instant>,
    first: R::Err,
    attempt: &mut F,
    classifier: &C,
    hook: &H,
    debug: D,
    budget: Option<&RetryBudget>,
) -> Result<R, R::Err>
where
    R: IsResult,
    F: FnMut(u32) -> R,
    C: Classifier<R::Err>,
    H: OnRetry<R::Err>,
    D: for<'a> Fn(&'a R::Err) -> Option<&'a dyn Debug>,
{
    let mut state = RetryState::new(policy, start);
    let mut error = first;
    loop {
        if let Some(budget) = budget {
            budget.record_failure();
        }
        let class = classifier.classify(&error);
        let next = decide_logged(&mut state, &error, class, hook, debug(&error), blocking_now);
        match next {
            Some(next) if budget.is_none_or(RetryBudget::allow_retry) => {
                sleep_blocking(next.next_delay);
            }
            _ => return Err(error),
        }
        match attempt(state.attempt()).into_error() {
            Ok(done) => {
                if let Some(budget) = budget {
                    budget.record_success();
                }
                return Ok(done);
            }
            Err(next_error) => error = next_error,
        }
    }
}
