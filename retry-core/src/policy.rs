//! The policy of one retrying call: how many attempts, how long, how far apart.

use std::time::Duration;

use crate::{Backoff, Jitter};

/// When to stop retrying and how long to wait in between.
///
/// A policy is plain data, built in `const` context and shared by every call that uses it.
///
/// # Default
///
/// | setting | default |
/// |---|---|
/// | [`attempts`](Self::attempts) | 3, the first included |
/// | [`max_elapsed`](Self::max_elapsed) | none |
/// | [`max_retry_after`](Self::max_retry_after) | 60 s |
/// | [`backoff`](Self::backoff) | `exponential(100ms, factor = 2, max = 10s)` |
/// | [`jitter`](Self::jitter) | [`Jitter::Full`] |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use retry_core::{Backoff, Jitter, RetryPolicy};
///
/// const POLICY: RetryPolicy = RetryPolicy::new()
///     .with_attempts(5)
///     .with_max_elapsed(Duration::from_secs(2))
///     .with_backoff(Backoff::constant(Duration::from_millis(50)))
///     .with_jitter(Jitter::Equal);
///
/// assert_eq!(POLICY.attempts(), 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    attempts: u32,
    max_elapsed: Option<Duration>,
    max_retry_after: Duration,
    backoff: Backoff,
    jitter: Jitter,
}

impl RetryPolicy {
    /// The default policy; see the table above.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        attempts: 3,
        max_elapsed: None,
        max_retry_after: Duration::from_secs(60),
        backoff: Backoff::DEFAULT,
        jitter: Jitter::Full,
    };

    /// The default policy; see the table above.
    #[must_use]
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Attempts in total, the first included. Zero is read as one: the first attempt always
    /// runs.
    #[must_use]
    pub const fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// A deadline counted from the start of the call: no attempt starts, and no sleep runs,
    /// past it. A delay that would cross it ends the call at once with the last error.
    #[must_use]
    pub const fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = Some(max_elapsed);
        self
    }

    /// The longest server-requested wait ([`Classification::RetryAfter`]) that is honoured;
    /// a longer one ends the call at once with that error.
    ///
    /// [`Classification::RetryAfter`]: crate::Classification::RetryAfter
    #[must_use]
    pub const fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// The schedule of base delays.
    #[must_use]
    pub const fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How the base delays are randomised.
    #[must_use]
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Attempts in total, the first included; at least 1.
    #[must_use]
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The deadline for the whole call, if any.
    #[must_use]
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The longest server-requested wait that is honoured.
    #[must_use]
    pub const fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The schedule of base delays.
    #[must_use]
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// How the base delays are randomised.
    #[must_use]
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}
