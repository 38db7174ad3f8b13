//! Eight threads hammer one breaker through a whole failure and recovery cycle: no outcome
//! is lost, the breaker opens once, admits exactly its probes, and closes once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use retry_core::{BreakerConfig, BreakerState, CircuitBreaker, Outcome, Window};

const THREADS: u64 = 8;
const OPEN_FOR: Duration = Duration::from_secs(10);
const PROBES: u32 = 5;

/// Runs `work(thread)` on every thread at once and waits for all of them.
fn on_all_threads(work: impl Fn(u64) + Sync) {
    let start = Barrier::new(THREADS as usize);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (work, start) = (&work, &start);
            scope.spawn(move || {
                start.wait();
                work(thread);
            });
        }
    });
}

/// Each thread records 256 calls, one in four a failure, which must leave exactly 2,048
/// calls and 512 failures in the window.
fn steady_traffic(breaker: &CircuitBreaker, at: Instant) {
    on_all_threads(|_| {
        for call in 0..256 {
            let outcome = if call % 4 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            breaker
                .try_acquire_at(at)
                .expect("closed")
                .record_at(outcome, at);
        }
    });
    let metrics = breaker.metrics_at(at);
    assert_eq!(
        (metrics.calls, metrics.failures),
        (2_048, 512),
        "{metrics:?}"
    );
    assert_eq!(metrics.state, BreakerState::Closed);
}

#[test]
fn many_threads_lose_no_outcome_through_a_failure_and_recovery_cycle() {
    let started = Instant::now();
    let config = BreakerConfig::new()
        .with_window(Window::Count(4_096))
        .with_min_calls(2_048)
        .with_open_for(OPEN_FOR)
        .with_half_open_calls(PROBES);
    let breaker = CircuitBreaker::new("stress", config).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    breaker.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));
    let t = Instant::now();

    // Closed: every outcome lands in the window.
    steady_traffic(&breaker, t);

    // A storm of failures: the breaker opens once, at 50% of at least 2,048 calls.
    let (admitted, rejected) = (AtomicU64::new(0), AtomicU64::new(0));
    on_all_threads(|_| {
        for _ in 0..1_000 {
            match breaker.try_acquire_at(t) {
                Ok(permit) => {
                    admitted.fetch_add(1, Ordering::Relaxed);
                    permit.record_at(Outcome::Failure, t);
                }
                Err(open) => {
                    assert_eq!(open.retry_in, OPEN_FOR);
                    rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    let (admitted, rejected) = (admitted.into_inner(), rejected.into_inner());
    assert_eq!(admitted + rejected, THREADS * 1_000);
    let metrics = breaker.metrics_at(t);
    assert_eq!(metrics.state, BreakerState::Open);
    let storm = metrics.calls - 2_048;
    // Every admitted failure is in the window, except those still in flight when the
    // breaker opened (at most one per thread), which arrive late and are dropped.
    assert!(
        storm <= admitted && admitted - storm <= THREADS,
        "{storm} of {admitted}"
    );
    assert_eq!(metrics.failures - 512, storm, "{metrics:?}");
    assert!(metrics.failure_rate().unwrap() >= 0.5);
    // Opening took 1,024 more failures (1,536 of 3,072 calls); the threads in flight add
    // a few.
    assert!((1_024..1_024 + THREADS).contains(&storm), "{storm}");

    // Recovery: of eight threads asking at once, exactly PROBES get through.
    let later = t + OPEN_FOR;
    let probes = AtomicU64::new(0);
    let all_asked = Barrier::new(THREADS as usize);
    on_all_threads(|_| {
        let permit = breaker.try_acquire_at(later);
        all_asked.wait();
        match permit {
            Ok(probe) => {
                assert!(probe.is_probe());
                probes.fetch_add(1, Ordering::Relaxed);
                probe.record_at(Outcome::Success, later);
            }
            Err(open) => assert_eq!(open.retry_in, Duration::from_secs(1)),
        }
    });
    assert_eq!(probes.into_inner(), u64::from(PROBES));
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(breaker.metrics_at(later).calls, 0);

    // Closed again, with a fresh window that loses nothing either.
    steady_traffic(&breaker, later);

    use BreakerState::{Closed, HalfOpen, Open};
    assert_eq!(
        *seen.lock().unwrap(),
        [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn threads_that_wrap_a_small_window_keep_it_exact() {
    let config = BreakerConfig::new()
        .with_window(Window::Count(64))
        .with_min_calls(64)
        .with_failure_rate(1.0);
    let breaker = CircuitBreaker::new("stress-wrap", config).unwrap();
    let t = Instant::now();
    // Each slot is overwritten many times by different threads; one call in two fails, so
    // the window never reaches 100% failures and the breaker stays closed.
    on_all_threads(|thread| {
        for call in 0..2_000u64 {
            let outcome = if (call + thread) % 2 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            breaker.try_acquire_at(t).unwrap().record_at(outcome, t);
        }
    });
    let metrics = breaker.metrics_at(t);
    assert_eq!(metrics.calls, 64);
    assert!(metrics.failures < 64);
    // A last run of successes from one thread replaces every slot: no stale failure is left
    // in the counters.
    for _ in 0..64 {
        breaker
            .try_acquire_at(t)
            .unwrap()
            .record_at(Outcome::Success, t);
    }
    assert_eq!(
        (breaker.metrics_at(t).calls, breaker.metrics_at(t).failures),
        (64, 0)
    );
}
