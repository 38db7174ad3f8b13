//! The errors that the runtime itself produces.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::{Classification, Retryable};

/// An attempt ran longer than the policy's per-attempt `timeout`.
///
/// `#[retry(timeout = ...)]` turns an expired attempt into `E::from(TimedOut)`, so the
/// function's error type needs `From<TimedOut>`. It classifies as transient: the next
/// attempt may be faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    /// The limit that the attempt exceeded.
    pub limit: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt timed out after {:?}", self.limit)
    }
}

impl Error for TimedOut {}

impl Retryable for TimedOut {
    fn classify(&self) -> Classification {
        Classification::Transient
    }
}

impl From<TimedOut> for std::io::Error {
    fn from(err: TimedOut) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, err)
    }
}

/// A circuit breaker rejected the call without running it.
///
/// It classifies as [`Classification::RetryAfter`] of the time until the breaker lets a
/// probe through, so a retry loop around a breaker waits for it instead of hammering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitOpen {
    /// The breaker's name in the registry.
    pub name: &'static str,
    /// How long until the breaker lets a probe through; never zero.
    pub retry_in: Duration,
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker `{}` is open; retry in {:?}",
            self.name, self.retry_in
        )
    }
}

impl Error for CircuitOpen {}

impl Retryable for CircuitOpen {
    fn classify(&self) -> Classification {
        Classification::RetryAfter(self.retry_in)
    }
}

impl From<CircuitOpen> for std::io::Error {
    fn from(err: CircuitOpen) -> Self {
        std::io::Error::other(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_out_is_transient_and_says_its_limit() {
        let err = TimedOut {
            limit: Duration::from_millis(250),
        };
        assert_eq!(err.classify(), Classification::Transient);
        assert_eq!(err.to_string(), "attempt timed out after 250ms");
        assert_eq!(
            std::io::Error::from(err).kind(),
            std::io::ErrorKind::TimedOut
        );
    }

    #[test]
    fn circuit_open_asks_to_wait_for_the_breaker() {
        let err = CircuitOpen {
            name: "payments",
            retry_in: Duration::from_secs(3),
        };
        assert_eq!(
            err.classify(),
            Classification::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            err.to_string(),
            "circuit breaker `payments` is open; retry in 3s"
        );
    }
}
