//! The pieces a caller plugs into a retry: how errors are classified and who hears of
//! each retry.

use crate::{AttemptState, Classification, Retryable};

/// Classifies the errors of one retrying call.
///
/// Implemented by [`ByRetryable`] (ask the error's [`Retryable`] impl), by [`When`] (a
/// yes/no predicate) and by any `Fn(&E) -> Classification`.
pub trait Classifier<E: ?Sized> {
    /// Classifies `error`.
    fn classify(&self, error: &E) -> Classification;
}

/// The default classifier: the error's own [`Retryable`] impl.
#[derive(Debug, Clone, Copy, Default)]
pub struct ByRetryable;

impl<E: Retryable + ?Sized> Classifier<E> for ByRetryable {
    #[inline]
    fn classify(&self, error: &E) -> Classification {
        error.classify()
    }
}

impl<E: ?Sized, F: Fn(&E) -> Classification> Classifier<E> for F {
    #[inline]
    fn classify(&self, error: &E) -> Classification {
        self(error)
    }
}

/// A classifier from a predicate: `true` retries as [`Classification::Transient`], `false`
/// fails as [`Classification::Permanent`].
#[derive(Debug, Clone, Copy)]
pub struct When<F>(pub F);

impl<E: ?Sized, F: Fn(&E) -> bool> Classifier<E> for When<F> {
    #[inline]
    fn classify(&self, error: &E) -> Classification {
        Classification::from_bool((self.0)(error))
    }
}

/// Hears of each retry before its sleep: the error and where the call stands.
///
/// Implemented by `()` (no hook) and by any `Fn(&E, &AttemptState)`.
pub trait OnRetry<E: ?Sized> {
    /// Whether the hook reads [`AttemptState::elapsed`], so that the driver must read the
    /// clock when the call starts. Only `()` says no.
    const READS_ELAPSED: bool = true;

    /// Called with the error of the attempt that failed, before sleeping.
    fn on_retry(&self, error: &E, state: &AttemptState);
}

impl<E: ?Sized> OnRetry<E> for () {
    const READS_ELAPSED: bool = false;

    #[inline]
    fn on_retry(&self, _: &E, _: &AttemptState) {}
}

impl<E: ?Sized, F: Fn(&E, &AttemptState)> OnRetry<E> for F {
    #[inline]
    fn on_retry(&self, error: &E, state: &AttemptState) {
        self(error, state);
    }
}
