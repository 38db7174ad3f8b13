//! The expansion is lint-clean under strict settings: this file is compiled by clippy with
//! `-D warnings` in CI, with every group below denied, so a lint that fires on generated
//! code fails the build.
#![deny(
    warnings,
    unused,
    unused_qualifications,
    unused_results,
    rust_2018_idioms,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic,
    clippy::nursery
)]

use backstop::{AttemptState, Classification, Retryable, retry};

/// An error for the lint checks.
#[derive(Debug, Retryable)]
#[retryable(default = transient)]
pub enum Error {
    /// Retried.
    Busy,
    /// Not retried.
    #[retryable(permanent)]
    Invalid,
    /// Whatever the I/O error says.
    #[retryable(delegate)]
    Io(std::io::Error),
}

const fn hook(_: &Error, _: &AttemptState) {}

/// Every option at once, sync.
///
/// # Errors
///
/// The last error.
#[retry(
    attempts = 3,
    max_elapsed = 1s,
    max_retry_after = 5s,
    backoff = linear(1ms, step = 1ms, max = 3ms),
    jitter = decorrelated,
    classify = |e: &Error| e.classify(),
    on_retry = hook,
    context = ctx,
)]
pub fn everything(value: &str, count: u32) -> Result<usize, Error> {
    if ctx.is_first() && count == 0 {
        return Err(Error::Busy);
    }
    Ok(value.len() + count as usize)
}

/// Every option at once, async.
///
/// # Errors
///
/// The last error.
#[retry(
    attempts = 2,
    timeout = 100ms,
    backoff = exponential(1ms, factor = 1.5, max = 2ms),
    jitter = equal,
    when = |e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut,
    fallback = Err,
)]
pub async fn everything_async(name: String) -> std::io::Result<String> {
    tokio::task::yield_now().await;
    Ok(name)
}

#[test]
fn the_expansions_run() {
    assert_eq!(everything("ab", 1).ok(), Some(3));
    assert!(matches!(
        Error::Invalid.classify(),
        Classification::Permanent
    ));
}

#[tokio::test(start_paused = true)]
async fn the_async_expansion_runs() {
    assert_eq!(
        everything_async("x".into()).await.ok().as_deref(),
        Some("x")
    );
}
