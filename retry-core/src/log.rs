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
