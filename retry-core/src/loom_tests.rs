//! Model tests of the circuit breaker's admission and transition logic: loom runs each model
//! under every interleaving of its threads' atomic operations and locks.
//!
//! Run them with:
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" cargo test -p retry-core --release --lib loom
//! ```
//!
//! The models are kept small (two or three threads, a handful of operations each) so that the
//! whole set finishes in seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::{BreakerConfig, BreakerState, CircuitBreaker, Outcome, Window};

const OPEN_FOR: Duration = Duration::from_secs(10);

fn config(half_open_calls: u32) -> BreakerConfig {
    BreakerConfig::new()
        .with_window(Window::Count(2))
        .with_min_calls(2)
        .with_open_for(OPEN_FOR)
        .with_half_open_calls(half_open_calls)
}

/// A breaker that two failures at `t` opened, shared between threads.
fn opened(half_open_calls: u32, t: Instant) -> Arc<CircuitBreaker> {
    let breaker = CircuitBreaker::new("loom", config(half_open_calls)).unwrap();
    for _ in 0..2 {
        breaker
            .try_acquire_at(t)
            .unwrap()
            .record_at(Outcome::Failure, t);
    }
    assert_eq!(breaker.state(), BreakerState::Open);
    Arc::new(breaker)
}

/// Counts the transitions into `to`.
fn count_into(breaker: &CircuitBreaker, to: BreakerState) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    breaker.subscribe(move |t| {
        if t.to == to {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    count
}

#[test]
fn loom_half_open_never_admits_more_than_its_probes() {
    loom::model(|| {
        let t = Instant::now();
        let breaker = opened(1, t);
        let later = t + OPEN_FOR;
        // Permits held at once, and the most ever seen.
        let held = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));

        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (breaker, held, most) = (breaker.clone(), held.clone(), most.clone());
                thread::spawn(move || {
                    // Both threads race to turn the breaker half-open and take the probe;
                    // the winner drops its permit, which lets another probe in.
                    if let Ok(permit) = breaker.try_acquire_at(later) {
                        let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        held.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= 1);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        // Every slot was given back: the next probe is admitted.
        assert!(breaker.try_acquire_at(later).unwrap().is_probe());
    });
}

#[test]
fn loom_the_closed_to_open_transition_happens_once() {
    loom::model(|| {
        let t = Instant::now();
        let breaker = Arc::new(CircuitBreaker::new("loom", config(1)).unwrap());
        let opened = count_into(&breaker, BreakerState::Open);

        let threads: Vec<_> = (0..2)
            .map(|_| {
                let breaker = breaker.clone();
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire_at(t) {
                        permit.record_at(Outcome::Failure, t);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        // Both calls were admitted while closed, so the window holds both failures whatever
        // the order, and the breaker opened exactly once.
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(opened.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn loom_the_last_probe_takes_the_verdict_once() {
    loom::model(|| {
        let t = Instant::now();
        let breaker = opened(2, t);
        let later = t + OPEN_FOR;
        let closed = count_into(&breaker, BreakerState::Closed);
        // Turn it half-open here, so that the threads only race for probes and verdicts.
        drop(breaker.try_acquire_at(later).unwrap());

        let threads: Vec<_> = (0..2)
            .map(|_| {
                let breaker = breaker.clone();
                thread::spawn(move || {
                    let probe = breaker.try_acquire_at(later).expect("two probe slots");
                    probe.record_at(Outcome::Success, later);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert_eq!(closed.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn loom_subscribers_hear_concurrent_transitions_in_order() {
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new("loom", config(1)).unwrap());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        breaker.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));

        let forcing = {
            let breaker = breaker.clone();
            thread::spawn(move || breaker.force_open())
        };
        breaker.reset();
        forcing.join().unwrap();

        // Each event's `from` is the previous event's `to`: delivered in transition order.
        let seen = seen.lock().unwrap();
        assert!(
            seen.windows(2).all(|pair| pair[0].1 == pair[1].0),
            "{seen:?}"
        );
        let last = seen.last().map_or(BreakerState::Closed, |event| event.1);
        assert_eq!(last, breaker.state());
    });
}
