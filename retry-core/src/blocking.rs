//! The blocking driver and the builder shared with the async one.

use crate::hooks::{ByRetryable, Classifier, OnRetry, When};
use crate::log;
use crate::{AttemptState, Classification, Clock, Decision, DefaultClock, RetryPolicy, RetryState};

/// A retrying call being set up: the policy plus how errors are classified, who hears of
/// retries, and which clock measures time.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
/// use retry_core::{Backoff, Jitter, Retry, RetryPolicy};
///
/// const POLICY: RetryPolicy = RetryPolicy::new()
///     .with_attempts(4)
///     .with_backoff(Backoff::constant(Duration::from_millis(1)))
///     .with_jitter(Jitter::None);
///
/// let calls = Cell::new(0);
/// let result: Result<u32, String> = Retry::new(&POLICY)
///     .when(|err: &String| err.starts_with("busy"))
///     .call(|| {
///         calls.set(calls.get() + 1);
///         if calls.get() < 3 { Err("busy".to_string()) } else { Ok(calls.get()) }
///     });
/// assert_eq!(result, Ok(3));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a `Retry` does nothing until `call` or `call_async` runs it"]
pub struct Retry<'p, C = ByRetryable, H = (), K = DefaultClock> {
    pub(crate) policy: &'p RetryPolicy,
    pub(crate) classifier: C,
    pub(crate) hook: H,
    pub(crate) clock: K,
}

impl<'p> Retry<'p> {
    /// A call under `policy`, classifying errors by their [`Retryable`](crate::Retryable) impl,
    /// with no hook, on the [`DefaultClock`].
    pub const fn new(policy: &'p RetryPolicy) -> Self {
        Retry {
            policy,
            classifier: ByRetryable,
            hook: (),
            clock: DefaultClock,
        }
    }
}

impl<'p, C, H, K> Retry<'p, C, H, K> {
    /// Classifies errors with `classify` instead of their `Retryable` impl.
    pub fn classify<C2>(self, classify: C2) -> Retry<'p, C2, H, K> {
        Retry {
            policy: self.policy,
            classifier: classify,
            hook: self.hook,
            clock: self.clock,
        }
    }

    /// Retries the errors for which `predicate` is true (as transient) and fails at once on
    /// the others, instead of asking their `Retryable` impl.
    pub fn when<P>(self, predicate: P) -> Retry<'p, When<P>, H, K> {
        self.classify(When(predicate))
    }

    /// Calls `hook` with the error and the call's state before each sleep.
    pub fn on_retry<H2>(self, hook: H2) -> Retry<'p, C, H2, K> {
        Retry {
            policy: self.policy,
            classifier: self.classifier,
            hook,
            clock: self.clock,
        }
    }

    /// Measures time and sleeps with `clock` instead of the [`DefaultClock`].
    pub fn clock<K2>(self, clock: K2) -> Retry<'p, C, H, K2> {
        Retry {
            policy: self.policy,
            classifier: self.classifier,
            hook: self.hook,
            clock,
        }
    }

    /// Runs `op` until it succeeds or the policy gives up, sleeping on this thread in
    /// between; returns the first success or the last error.
    pub fn call<T, E, F>(self, mut op: F) -> Result<T, E>
    where
        F: FnMut() -> Result<T, E>,
        C: Classifier<E>,
        H: OnRetry<E>,
        K: Clock,
    {
        let start =
            (RetryState::needs_start(self.policy) || H::READS_ELAPSED).then(|| self.clock.now());
        let mut state = RetryState::new(self.policy, start);
        loop {
            let error = match op() {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            match decide(&mut state, &error, &self.classifier, &self.hook, || {
                self.clock.now()
            }) {
                Some(next) if next.next_delay.is_zero() => {}
                Some(next) => self.clock.sleep(next.next_delay),
                None => return Err(error),
            }
        }
    }
}

/// The step after a failed attempt, shared by the drivers: classify, decide, tell the hook
/// and the log. `Some` carries the state to sleep on; `None` means give up.
pub(crate) fn decide<E, C, H>(
    state: &mut RetryState<'_>,
    error: &E,
    classifier: &C,
    hook: &H,
    now: impl FnOnce() -> std::time::Instant,
) -> Option<AttemptState>
where
    C: Classifier<E> + ?Sized,
    H: OnRetry<E> + ?Sized,
{
    decide_logged(state, error, classifier.classify(error), hook, None, now)
}

pub(crate) fn decide_logged<E: ?Sized, H: OnRetry<E> + ?Sized>(
    state: &mut RetryState<'_>,
    error: &E,
    class: Classification,
    hook: &H,
    debug: Option<&dyn std::fmt::Debug>,
    now: impl FnOnce() -> std::time::Instant,
) -> Option<AttemptState> {
    match state.on_error(class, now) {
        Decision::Retry(next) => {
            log::retrying(&next, debug);
            hook.on_retry(error, &next);
            Some(next)
        }
        Decision::GiveUp(why) => {
            log::gave_up(why, state.attempt().saturating_sub(1), debug);
            None
        }
    }
}
