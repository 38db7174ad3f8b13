//! The driver's events: one `debug` per retry and one `warn` on giving up, only with the
//! `tracing` feature. Nothing is logged on the happy path.

use std::fmt::Debug;

use crate::{AttemptState, GiveUp};

/// One retry is about to sleep.
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn retrying(state: &AttemptState, error: Option<&dyn Debug>) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        attempt = state.attempt,
        delay_ms = state.next_delay.as_secs_f64() * 1e3,
        error = error.map(tracing::field::debug),
        "retrying after error",
    );
}

/// The call returns its last error.
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn gave_up(why: GiveUp, attempt: u32, error: Option<&dyn Debug>) {
    #[cfg(feature = "tracing")]
    match why {
        // A permanent error on the first attempt is an ordinary failure, not a retry story.
        GiveUp::Permanent if attempt == 1 => {}
        _ => tracing::warn!(
            attempt,
            reason = ?why,
            error = error.map(tracing::field::debug),
            "giving up",
        ),
    }
}

/// A circuit breaker changed state: opening is a warning, the rest is information.
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn transition(transition: &crate::Transition) {
    #[cfg(feature = "tracing")]
    {
        use crate::BreakerState as S;
        let (breaker, from) = (transition.name, transition.from);
        match transition.to {
            S::Open => tracing::warn!(breaker, ?from, "circuit breaker opened"),
            S::ForcedOpen => tracing::warn!(breaker, ?from, "circuit breaker forced open"),
            S::HalfOpen => tracing::info!(breaker, ?from, "circuit breaker half-open"),
            S::Closed => tracing::info!(breaker, ?from, "circuit breaker closed"),
            S::ForcedClosed => tracing::info!(breaker, ?from, "circuit breaker forced closed"),
        }
    }
}

/// A subscriber panicked while hearing of a transition.
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn subscriber_panicked(transition: &crate::Transition) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        breaker = transition.name,
        to = ?transition.to,
        "circuit breaker subscriber panicked",
    );
}

/// A breaker or budget handle met a conflicting or invalid registration.
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn registry_problem(problem: &crate::RegistryError) {
    #[cfg(feature = "tracing")]
    tracing::warn!(%problem, "registry conflict");
}
