//! The permission to make one call through a breaker, and how its outcome is reported.

use std::fmt;
use std::time::Instant;

use super::{CircuitBreaker, Now};
use crate::{Classification, Classifier};

/// How one call through a breaker ended, as far as the breaker is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The call succeeded.
    Success,
    /// The call failed in a way that says the service may be unwell.
    Failure,
    /// The call's result says nothing about the service's health (a
    /// [`Permanent`](Classification::Permanent) error, such as bad input): it is left out of
    /// the window, and a half-open probe that ends this way gives its slot back.
    Ignored,
}

/// [`Transient`](Classification::Transient) and [`RetryAfter`](Classification::RetryAfter)
/// errors are failures; [`Permanent`](Classification::Permanent) ones are ignored.
impl From<Classification> for Outcome {
    fn from(class: Classification) -> Self {
        match class {
            Classification::Permanent => Outcome::Ignored,
            Classification::Transient | Classification::RetryAfter(_) => Outcome::Failure,
        }
    }
}

/// What a permit was admitted as: it decides where the outcome goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ticket {
    /// A call through a closed breaker of this generation: the outcome goes to the window.
    Closed(u32),
    /// A probe of the half-open period of this generation.
    Probe(u32),
    /// A call through a forced-closed breaker: nothing is recorded.
    Free,
}

/// The permission to make one call through a [`CircuitBreaker`], from
/// [`try_acquire`](CircuitBreaker::try_acquire).
///
/// Report how the call went by consuming the permit with [`success`](Self::success),
/// [`failure`](Self::failure), [`ignore`](Self::ignore), [`record`](Self::record) or
/// another of its methods. A permit dropped without an outcome gives its slot back: it is
/// not counted, and a half-open breaker admits another probe in its place. A permit dropped
/// while its thread panics counts as a failure. So a permit can be held across `.await`
/// points and `?` without ever wedging the breaker.
///
/// An outcome counts only in the state that admitted the call: the outcome of a call
/// admitted before the breaker last changed state (say, a call admitted while closed that
/// ends after the breaker opened) is dropped. Two limits, both from doing this without a
/// lock: an outcome being recorded at the very instant the breaker closes again may still
/// land in the new window (at most one per call in flight), and states are counted modulo
/// 2^32 (2^24 for probes), so a call that stays in flight across that many changes of state
/// could be taken for a current one.
///
/// # Examples
///
/// ```
/// use retry_core::{BreakerConfig, CircuitBreaker, Window};
///
/// let config = BreakerConfig::new().with_window(Window::Count(4)).with_min_calls(2);
/// let breaker = CircuitBreaker::new("inventory", config).unwrap();
///
/// let permit = breaker.try_acquire().expect("a new breaker is closed");
/// permit.failure();
/// breaker.try_acquire().unwrap().failure();
/// // Two failures out of two calls reach the 50% threshold.
/// assert!(breaker.try_acquire().is_err());
/// ```
#[must_use = "a permit dropped without an outcome is not counted; call `success`, `failure` \
              or `record`"]
pub struct Permit<'b> {
    /// `None` once the outcome has been reported.
    breaker: Option<&'b CircuitBreaker>,
    ticket: Ticket,
    /// When the call started, kept only when the breaker tracks slow calls.
    started: Option<Instant>,
}

impl<'b> Permit<'b> {
    pub(crate) fn new(
        breaker: &'b CircuitBreaker,
        ticket: Ticket,
        started: Option<Instant>,
    ) -> Self {
        Permit {
            breaker: Some(breaker),
            ticket,
            started,
        }
    }

    /// The call succeeded.
    #[inline]
    pub fn success(self) {
        self.finish(Outcome::Success, Now::lazy());
    }

    /// The call failed and counts as a failure.
    #[inline]
    pub fn failure(self) {
        self.finish(Outcome::Failure, Now::lazy());
    }

    /// The call ended in a way that says nothing about the service: not counted, and a
    /// probe's slot is given back.
    #[inline]
    pub fn ignore(self) {
        self.finish(Outcome::Ignored, Now::lazy());
    }

    /// The call failed with an error of this class: transient and retry-after errors are
    /// failures, permanent ones are ignored (see [`Outcome::Ignored`]).
    #[inline]
    pub fn record(self, class: Classification) {
        self.finish(Outcome::from(class), Now::lazy());
    }

    /// The call failed, and a predicate said whether the error counts as a failure: `true`
    /// is a failure, `false` is ignored, as [`Classification::from_bool`] reads it.
    #[inline]
    pub fn record_failed(self, failed: bool) {
        self.record(Classification::from_bool(failed));
    }

    /// Reports a call's result: `Ok` is a success, an error is classified by `classifier`.
    #[inline]
    pub fn record_result<T, E, C>(self, result: &Result<T, E>, classifier: &C)
    where
        C: Classifier<E> + ?Sized,
    {
        match result {
            Ok(_) => self.success(),
            Err(error) => self.record(classifier.classify(error)),
        }
    }

    /// Reports the outcome as of `now`, which must come from the breaker's clock; for tests
    /// and callers that already read the time.
    pub fn record_at(self, outcome: Outcome, now: Instant) {
        self.finish(outcome, Now::at(now));
    }

    /// Whether this call is one of a half-open breaker's probes.
    #[must_use]
    pub fn is_probe(&self) -> bool {
        matches!(self.ticket, Ticket::Probe(_))
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn started(&self) -> Option<Instant> {
        self.started
    }

    fn finish(mut self, outcome: Outcome, now: Now) {
        if let Some(breaker) = self.breaker.take() {
            breaker.settle(self.ticket, self.started, Some(outcome), now);
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(breaker) = self.breaker.take() {
            let outcome = std::thread::panicking().then_some(Outcome::Failure);
            breaker.settle(self.ticket, self.started, outcome, Now::lazy());
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("breaker", &self.breaker.map(CircuitBreaker::name))
            .field("probe", &self.is_probe())
            .finish()
    }
}
