//! Deciding whether an error is worth another attempt.

use std::io;
use std::time::Duration;

/// What an error says about the chances of the next attempt.
///
/// # Examples
///
/// ```
/// use retry_core::{Classification, Retryable};
///
/// enum ApiError {
///     BadRequest,
///     Unavailable,
///     TooManyRequests { retry_after_secs: u64 },
/// }
///
/// impl Retryable for ApiError {
///     fn classify(&self) -> Classification {
///         match self {
///             ApiError::BadRequest => Classification::Permanent,
///             ApiError::Unavailable => Classification::Transient,
///             ApiError::TooManyRequests { retry_after_secs } => {
///                 Classification::RetryAfter(std::time::Duration::from_secs(*retry_after_secs))
///             }
///         }
///     }
/// }
///
/// assert_eq!(ApiError::BadRequest.classify(), Classification::Permanent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classification {
    /// Retrying cannot help: the call fails now (bad input, 400, 401, 403, 404).
    Permanent,
    /// The next attempt may succeed: retry after the policy's jittered backoff (5xx,
    /// timeouts, connection resets).
    Transient,
    /// The server said when to come back: wait at least this long before the next attempt
    /// (429 or 503 with `Retry-After`).
    RetryAfter(Duration),
}

impl Classification {
    /// `true` for [`Transient`](Self::Transient) and [`RetryAfter`](Self::RetryAfter): the
    /// error may go away on its own. Circuit breakers count exactly these as failures.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        !matches!(self, Classification::Permanent)
    }

    /// Turns a yes/no predicate's answer into a classification, as the `when` option does.
    #[must_use]
    pub const fn from_bool(retry: bool) -> Self {
        if retry {
            Classification::Transient
        } else {
            Classification::Permanent
        }
    }
}

/// An error that knows whether retrying it can help.
///
/// Implement it by hand, derive it on an enum with `#[derive(Retryable)]`, or leave it
/// out and give `#[retry]` a `when` or `classify` option instead.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say whether it is worth retrying",
    label = "this error type does not implement `Retryable`",
    note = "implement `backstop::Retryable` for `{Self}`, or pass `when = |e| ...` or \
            `classify = |e| ...` to `#[retry]`"
)]
pub trait Retryable {
    /// Classifies this error.
    fn classify(&self) -> Classification;
}

impl<T: Retryable + ?Sized> Retryable for &T {
    fn classify(&self) -> Classification {
        (**self).classify()
    }
}

impl<T: Retryable + ?Sized> Retryable for Box<T> {
    fn classify(&self) -> Classification {
        (**self).classify()
    }
}

/// I/O errors are classified by their [`io::ErrorKind`]:
///
/// | kind | classification |
/// |---|---|
/// | `TimedOut`, `Interrupted`, `WouldBlock` | transient |
/// | `ConnectionReset`, `ConnectionAborted`, `ConnectionRefused`, `NotConnected` | transient |
/// | `BrokenPipe`, `UnexpectedEof`, `AddrInUse`, `AddrNotAvailable` | transient |
/// | `HostUnreachable`, `NetworkUnreachable`, `NetworkDown`, `ResourceBusy` | transient |
/// | `OutOfMemory` | transient |
/// | everything else (`NotFound`, `PermissionDenied`, `InvalidInput`, `InvalidData`, `Unsupported`, ...) | permanent |
///
/// A refused connection is transient because the usual cause is a service that is
/// restarting; a missing file or a malformed request does not fix itself.
impl Retryable for io::Error {
    fn classify(&self) -> Classification {
        Classification::from_bool(is_transient_io(self.kind()))
    }
}

impl Retryable for io::ErrorKind {
    fn classify(&self) -> Classification {
        Classification::from_bool(is_transient_io(*self))
    }
}

fn is_transient_io(kind: io::ErrorKind) -> bool {
    use io::ErrorKind as K;
    matches!(
        kind,
        K::TimedOut
            | K::Interrupted
            | K::WouldBlock
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::ConnectionRefused
            | K::NotConnected
            | K::BrokenPipe
            | K::UnexpectedEof
            | K::AddrInUse
            | K::AddrNotAvailable
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::ResourceBusy
            | K::OutOfMemory
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use io::ErrorKind as K;

    #[test]
    fn io_errors_that_heal_on_their_own_are_transient() {
        for kind in [
            K::TimedOut,
            K::Interrupted,
            K::WouldBlock,
            K::ConnectionReset,
            K::ConnectionAborted,
            K::ConnectionRefused,
            K::NotConnected,
            K::BrokenPipe,
            K::UnexpectedEof,
            K::AddrInUse,
            K::AddrNotAvailable,
            K::HostUnreachable,
            K::NetworkUnreachable,
            K::NetworkDown,
            K::ResourceBusy,
            K::OutOfMemory,
        ] {
            assert_eq!(
                io::Error::from(kind).classify(),
                Classification::Transient,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn io_errors_about_the_request_are_permanent() {
        for kind in [
            K::NotFound,
            K::PermissionDenied,
            K::AlreadyExists,
            K::InvalidInput,
            K::InvalidData,
            K::Unsupported,
            K::WriteZero,
            K::Other,
        ] {
            assert_eq!(
                io::Error::from(kind).classify(),
                Classification::Permanent,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn references_and_boxes_delegate() {
        let err = io::Error::from(K::ConnectionReset);
        assert_eq!(Retryable::classify(&&err), Classification::Transient);
        assert_eq!(Box::new(K::NotFound).classify(), Classification::Permanent);
    }
}
