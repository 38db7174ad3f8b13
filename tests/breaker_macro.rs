//! `#[circuit_breaker]` on fns: the breaker opens, rejects without running the body, lets
//! probes through after `open_for`, is shared by name or through a `static`, and composes
//! with `#[retry]` in both orders. Times are on tokio's paused clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backstop::{BreakerState, CircuitOpen, Classification, Retryable, circuit_breaker, retry};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, PartialEq)]
enum Error {
    Down,
    Invalid,
    Open(&'static str, Duration),
}

impl Retryable for Error {
    fn classify(&self) -> Classification {
        match self {
            Error::Down => Classification::Transient,
            Error::Invalid => Classification::Permanent,
            Error::Open(_, wait) => Classification::RetryAfter(*wait),
        }
    }
}

impl From<CircuitOpen> for Error {
    fn from(open: CircuitOpen) -> Self {
        Error::Open(open.name, open.retry_in)
    }
}

/// Runs the body: fails with `error` while `failures` is above zero, counting every run.
fn body(runs: &AtomicU32, failures: &AtomicU32, error: Error) -> Result<u32, Error> {
    runs.fetch_add(1, Ordering::SeqCst);
    let left = failures.load(Ordering::SeqCst);
    if left > 0 {
        failures.store(left - 1, Ordering::SeqCst);
        return Err(error);
    }
    Ok(runs.load(Ordering::SeqCst))
}

#[circuit_breaker(
    name = "test-opens",
    window = count(4),
    min_calls = 4,
    failure_rate = 0.5,
    open_for = 10s,
    half_open_calls = 1
)]
async fn guarded(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Down)
}

#[tokio::test(start_paused = true)]
async fn opens_at_the_threshold_rejects_without_running_and_recovers_through_a_probe() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(2));
    for _ in 0..3 {
        let _ = guarded(&runs, &failures).await;
    }
    // Three calls: below `min_calls`, no verdict yet.
    assert_eq!(
        backstop::breaker("test-opens").unwrap().state(),
        BreakerState::Closed
    );
    assert!(guarded(&runs, &failures).await.is_ok());
    // Two failures in four calls reach 50%.
    assert_eq!(
        backstop::breaker("test-opens").unwrap().state(),
        BreakerState::Open
    );

    let rejected = guarded(&runs, &failures).await.unwrap_err();
    assert_eq!(rejected, Error::Open("test-opens", Duration::from_secs(10)));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        4,
        "the body does not run while open"
    );

    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(guarded(&runs, &failures).await, Ok(5), "one probe passes");
    assert_eq!(
        backstop::breaker("test-opens").unwrap().state(),
        BreakerState::Closed
    );
}

#[circuit_breaker(name = "test-shared", window = count(2), min_calls = 2, failure_rate = 1.0)]
fn reader(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Down)
}

#[circuit_breaker(name = "test-shared", window = count(2), min_calls = 2, failure_rate = 1.0)]
fn writer(runs: &AtomicU32) -> Result<u32, Error> {
    Ok(runs.fetch_add(1, Ordering::SeqCst))
}

#[test]
fn fns_that_give_one_name_share_one_breaker() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(2));
    assert_eq!(reader(&runs, &failures), Err(Error::Down));
    assert_eq!(reader(&runs, &failures), Err(Error::Down));
    assert!(matches!(writer(&runs), Err(Error::Open("test-shared", _))));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// A breaker declared once and shared through its path.
#[circuit_breaker(name = "test-static", window = count(2), min_calls = 2, open_for = 1s)]
static INVENTORY: backstop::BreakerHandle;

#[circuit_breaker(breaker = INVENTORY)]
fn stock(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Down)
}

#[circuit_breaker(breaker = INVENTORY)]
fn reserve(runs: &AtomicU32) -> Result<u32, Error> {
    Ok(runs.fetch_add(1, Ordering::SeqCst))
}

#[test]
fn a_static_breaker_is_shared_through_its_path() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(2));
    let _ = stock(&runs, &failures);
    let _ = stock(&runs, &failures);
    assert!(matches!(reserve(&runs), Err(Error::Open("test-static", _))));
    assert_eq!(INVENTORY.get().state(), BreakerState::Open);
    assert!(std::ptr::eq(
        INVENTORY.get(),
        backstop::breaker("test-static").unwrap()
    ));
}

#[circuit_breaker(name = "test-permanent", window = count(2), min_calls = 2, failure_rate = 0.5)]
fn validate(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Invalid)
}

#[test]
fn permanent_errors_do_not_open_the_breaker() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(10));
    for _ in 0..5 {
        assert_eq!(validate(&runs, &failures), Err(Error::Invalid));
    }
    assert_eq!(
        backstop::breaker("test-permanent").unwrap().state(),
        BreakerState::Closed
    );
}

#[circuit_breaker(
    name = "test-when",
    window = count(2),
    min_calls = 2,
    when = |e: &Error| *e == Error::Invalid
)]
fn strict(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Invalid)
}

#[test]
fn when_decides_what_counts_as_a_failure() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(2));
    let _ = strict(&runs, &failures);
    let _ = strict(&runs, &failures);
    assert_eq!(
        backstop::breaker("test-when").unwrap().state(),
        BreakerState::Open
    );
}

#[circuit_breaker(name = "test-panics", window = count(1), min_calls = 1)]
fn panics() -> Result<u32, Error> {
    panic!("the body panicked")
}

#[test]
fn a_body_that_panics_counts_as_a_failure() {
    assert!(std::panic::catch_unwind(panics).is_err());
    assert_eq!(
        backstop::breaker("test-panics").unwrap().state(),
        BreakerState::Open
    );
}

#[retry(attempts = 3, backoff = constant(0ms), jitter = none)]
#[circuit_breaker(
    name = "test-retry-outside",
    window = count(1),
    min_calls = 1,
    failure_rate = 1.0,
    open_for = 500ms,
    half_open_calls = 1
)]
async fn retried_through_the_breaker(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Down)
}

#[tokio::test(start_paused = true)]
async fn retry_above_the_breaker_waits_for_it_instead_of_hammering_it() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(1));
    let start = Instant::now();
    // Attempt 1 fails and opens the breaker; attempt 2 is rejected with "retry in 500ms"
    // and waits that long; attempt 3 is the probe, and succeeds.
    assert_eq!(retried_through_the_breaker(&runs, &failures).await, Ok(2));
    assert_eq!(start.elapsed(), MS * 500);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[circuit_breaker(name = "test-breaker-outside", window = count(1), min_calls = 1, open_for = 1s)]
#[retry(attempts = 3, backoff = constant(0ms))]
fn breaker_around_the_retries(runs: &AtomicU32, failures: &AtomicU32) -> Result<u32, Error> {
    body(runs, failures, Error::Down)
}

#[test]
fn breaker_above_retry_counts_the_whole_retried_call_once() {
    let (runs, failures) = (AtomicU32::new(0), AtomicU32::new(10));
    assert_eq!(
        breaker_around_the_retries(&runs, &failures),
        Err(Error::Down)
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "three attempts, one call for the breaker"
    );
    let breaker = backstop::breaker("test-breaker-outside").unwrap();
    assert_eq!(breaker.state(), BreakerState::Open);
    assert!(matches!(
        breaker_around_the_retries(&runs, &failures),
        Err(Error::Open(..))
    ));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "rejected at once, no attempt"
    );
}

#[circuit_breaker(name = "test-operator")]
fn operated(runs: &AtomicU32) -> Result<u32, Error> {
    Ok(runs.fetch_add(1, Ordering::SeqCst))
}

#[test]
fn operators_force_and_reset_a_breaker_found_by_name() {
    let runs = AtomicU32::new(0);
    assert!(operated(&runs).is_ok());
    let breaker = backstop::breaker("test-operator").unwrap();
    breaker.force_open();
    assert!(matches!(
        operated(&runs),
        Err(Error::Open("test-operator", _))
    ));
    breaker.reset();
    assert!(operated(&runs).is_ok());
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

mod defaults {
    use super::*;

    #[backstop::circuit_breaker]
    pub fn named_after_the_fn() -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn the_default_name_is_the_module_path_and_fn_name() {
    defaults::named_after_the_fn().unwrap();
    assert!(backstop::breaker("breaker_macro::defaults::named_after_the_fn").is_some());
}
