//! What the benches share: the workload every contender runs, the runtimes that drive the
//! async ones, and Criterion's settings.
//!
//! Each bench file includes this module with `mod support;`. A bench uses only part of it
//! (the breaker bench does not touch the retry contenders), so the including `mod` item
//! allows dead code.

pub mod breaker;
pub mod retry;

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use backstop::{Classification, Retryable};
use criterion::Criterion;

/// The error of the workload: always transient, so every contender retries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flaky;

impl Retryable for Flaky {
    fn classify(&self) -> Classification {
        Classification::Transient
    }
}

impl Flaky {
    /// The peers' `when` predicate; it asks the same `Retryable` impl that `#[retry]`
    /// asks, so every contender classifies each error once, in the same way.
    pub fn is_transient(&self) -> bool {
        self.classify() != Classification::Permanent
    }
}

/// One attempt: fails while `failures` is above zero (counting it down), then does a few
/// arithmetic operations on `x`.
///
/// Never inlined, so that no contender's loop can see through the body and fold the error
/// path away: a real body is opaque I/O. `black_box` keeps the arithmetic from being
/// computed at compile time.
#[inline(never)]
pub fn attempt(x: u64, failures: &Cell<u32>) -> Result<u64, Flaky> {
    let left = failures.get();
    if left > 0 {
        failures.set(left - 1);
        return Err(Flaky);
    }
    Ok(mix(x))
}

/// One call of the breaker workload: fails (transiently) when told to, else does the same
/// arithmetic as [`attempt`].
///
/// A flag rather than a countdown, because a breaker is shared: the bench decides for each
/// call whether the service is down, and several threads may call at once. Never inlined,
/// for the same reason as [`attempt`].
#[inline(never)]
pub fn service(x: u64, fail: bool) -> Result<u64, Flaky> {
    if fail {
        return Err(Flaky);
    }
    Ok(mix(x))
}

/// The few operations of a successful call; `black_box` keeps them from being computed at
/// compile time.
#[inline(always)]
fn mix(x: u64) -> u64 {
    let x = black_box(x);
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ x
}

/// The input of every call; a `black_box` at each use keeps it opaque.
pub const INPUT: u64 = 0x5EED;

/// How many times the transient workload fails before it succeeds.
pub const TRANSIENT_FAILURES: u32 = 2;

/// The current-thread runtime that drives every async contender on the happy path.
///
/// Time is enabled, as in any application that retries: a contender that retries creates a
/// tokio sleep, which panics without a timer.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime builds")
}

/// The runtime for async contenders that sleep: the same, on a paused clock.
///
/// Every contender sleeps through tokio, and tokio's timer rounds a deadline up to the next
/// millisecond, so on the real clock even a zero delay parks the thread for up to 1 ms and
/// the figures would measure the timer's granularity, not the retry loop. A paused clock
/// skips to the deadline as soon as the runtime is idle, and still runs the timer's code.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a paused current-thread runtime builds")
}

/// Criterion's settings: short enough that `cargo bench --bench retry` finishes in about
/// two minutes on two shared cores, long enough for a few-percent confidence interval on
/// calls that take nanoseconds.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .noise_threshold(0.03)
        .configure_from_args()
}
