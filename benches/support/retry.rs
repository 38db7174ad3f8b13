//! The retry contenders: the same workload under the plain fn, `#[retry]` and each peer.
//!
//! Every retrying contender is configured alike: at most 3 attempts, a zero delay between
//! them, no jitter, and the error's `Retryable` impl asked whether to retry. Sync peers run
//! the same body in their closure; async peers wrap the plain async fn, as their users
//! would. The sync contenders are never inlined into the bench loop, so that no loop can be
//! hoisted out of it.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use backon::{BlockingRetryable, ConstantBuilder, Retryable as _};
use backstop::retry;

use super::{Flaky, attempt};

/// Attempts in all, the first included, for every retrying contender.
pub const ATTEMPTS: u32 = 3;

/// backon counts retries, not attempts.
const BACKON: ConstantBuilder = ConstantBuilder::new()
    .with_delay(Duration::ZERO)
    .with_max_times(ATTEMPTS as usize - 1);

/// The reference: the body with nothing around it.
#[inline(never)]
pub fn plain(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    attempt(x, failures)
}

/// The least a retry loop can do: try up to three times, no sleep, no classification. The
/// reference for the transient workload, where the plain fn would fail.
#[inline(never)]
pub fn hand_loop(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    let mut tries = 1;
    loop {
        match attempt(x, failures) {
            Err(error) if tries < ATTEMPTS && error.is_transient() => tries += 1,
            done => return done,
        }
    }
}

#[retry(attempts = 3, backoff = constant(0ms), jitter = none)]
#[inline(never)]
pub fn backstop(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    attempt(x, failures)
}

/// `#[retry]` with every option left to its default (exponential backoff from 100 ms, full
/// jitter): on the happy path the policy should not matter.
#[retry]
#[inline(never)]
pub fn backstop_defaults(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    attempt(x, failures)
}

#[inline(never)]
pub fn backon(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    (|| attempt(x, failures))
        .retry(BACKON)
        .when(Flaky::is_transient)
        .call()
}

/// backoff 0.4 has no attempt limit of its own (its exponential backoff stops on elapsed
/// time only), so the limit is this small `Backoff` impl: zero delays, `ATTEMPTS - 1` of
/// them.
#[derive(Debug)]
pub struct ZeroDelays {
    left: u32,
}

impl ZeroDelays {
    pub fn new() -> Self {
        ZeroDelays { left: ATTEMPTS - 1 }
    }
}

impl backoff::backoff::Backoff for ZeroDelays {
    fn reset(&mut self) {
        self.left = ATTEMPTS - 1;
    }

    fn next_backoff(&mut self) -> Option<Duration> {
        self.left = self.left.checked_sub(1)?;
        Some(Duration::ZERO)
    }
}

/// backoff's operation says itself whether an error is worth retrying.
fn for_backoff(error: Flaky) -> backoff::Error<Flaky> {
    if error.is_transient() {
        backoff::Error::transient(error)
    } else {
        backoff::Error::permanent(error)
    }
}

#[inline(never)]
pub fn backoff(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    backoff::retry(ZeroDelays::new(), || {
        attempt(x, failures).map_err(for_backoff)
    })
    .map_err(|error| match error {
        backoff::Error::Permanent(error) | backoff::Error::Transient { err: error, .. } => error,
    })
}

pub async fn plain_async(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    attempt(x, failures)
}

/// The least an async retry loop can do, as [`hand_loop`].
pub async fn hand_loop_async(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    let mut tries = 1;
    loop {
        match plain_async(x, failures).await {
            Err(error) if tries < ATTEMPTS && error.is_transient() => tries += 1,
            done => return done,
        }
    }
}

#[retry(attempts = 3, backoff = constant(0ms), jitter = none)]
pub async fn backstop_async(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    attempt(x, failures)
}

#[retry]
pub async fn backstop_defaults_async(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    attempt(x, failures)
}

pub fn backon_async(x: u64, failures: &Cell<u32>) -> impl Future<Output = Result<u64, Flaky>> {
    (move || plain_async(x, failures))
        .retry(BACKON)
        .when(Flaky::is_transient)
}

pub fn tokio_retry_async(x: u64, failures: &Cell<u32>) -> impl Future<Output = Result<u64, Flaky>> {
    let delays =
        tokio_retry::strategy::FixedInterval::new(Duration::ZERO).take(ATTEMPTS as usize - 1);
    tokio_retry::RetryIf::start(
        delays,
        move || plain_async(x, failures),
        Flaky::is_transient,
    )
}

pub fn backoff_async(x: u64, failures: &Cell<u32>) -> impl Future<Output = Result<u64, Flaky>> {
    backoff::future::retry(ZeroDelays::new(), move || async move {
        plain_async(x, failures).await.map_err(for_backoff)
    })
}
