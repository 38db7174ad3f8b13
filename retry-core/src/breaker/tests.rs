//! The state machine against explicit instants, after resilience4j's scenarios: no test here
//! reads the clock to decide anything, and none sleeps.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use super::*;
use crate::Classification;
use BreakerState::{Closed, ForcedClosed, ForcedOpen, HalfOpen, Open};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn counting(size: u32, min_calls: u32) -> BreakerConfig {
    BreakerConfig::new()
        .with_window(Window::Count(size))
        .with_min_calls(min_calls)
}

fn breaker(config: BreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new("test", config).expect("valid config")
}

/// One call admitted and finished at `at`.
fn call(breaker: &CircuitBreaker, at: Instant, outcome: Outcome) {
    breaker
        .try_acquire_at(at)
        .expect("call admitted")
        .record_at(outcome, at);
}

fn calls(breaker: &CircuitBreaker, at: Instant, outcome: Outcome, times: u32) {
    for _ in 0..times {
        call(breaker, at, outcome);
    }
}

/// Records every transition of `breaker` as `(from, to)`.
fn watch(breaker: &CircuitBreaker) -> Arc<StdMutex<Vec<(BreakerState, BreakerState)>>> {
    let seen = Arc::new(StdMutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    breaker.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));
    seen
}

/// A breaker of `counting(4, 2)` opened at `at` by two failures, with 3 probes, 10 s open.
fn opened(at: Instant) -> CircuitBreaker {
    let breaker = breaker(counting(4, 2).with_open_for(SEC * 10));
    calls(&breaker, at, Outcome::Failure, 2);
    assert_eq!(breaker.state(), Open);
    breaker
}

fn retry_in(result: Result<Permit<'_>, CircuitOpen>) -> Duration {
    result.expect_err("rejected").retry_in
}

#[test]
fn no_verdict_before_min_calls() {
    let t = Instant::now();
    let breaker = breaker(counting(10, 5));
    calls(&breaker, t, Outcome::Failure, 4);
    assert_eq!(
        breaker.state(),
        Closed,
        "4 failures out of 4 is below min_calls"
    );
    call(&breaker, t, Outcome::Failure);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn opens_exactly_at_the_threshold() {
    let t = Instant::now();
    let config = counting(10, 10).with_failure_rate(0.3);

    let below = breaker(config);
    calls(&below, t, Outcome::Success, 7);
    calls(&below, t, Outcome::Failure, 2);
    call(&below, t, Outcome::Success);
    assert_eq!(below.state(), Closed, "2 of 10 is under 0.3");
    assert_eq!(below.metrics().failure_rate(), Some(0.2));

    let at = breaker(config);
    calls(&at, t, Outcome::Success, 7);
    calls(&at, t, Outcome::Failure, 2);
    assert_eq!(at.state(), Closed, "9 calls: below min_calls");
    call(&at, t, Outcome::Failure);
    assert_eq!(at.state(), Open, "3 of 10 reaches 0.3");
}

#[test]
fn the_window_slides_over_the_last_n_calls() {
    let t = Instant::now();
    let breaker = breaker(counting(4, 4));
    calls(&breaker, t, Outcome::Failure, 1);
    calls(&breaker, t, Outcome::Success, 3);
    // Two more successes push the failure out; then one failure is 1 of 4, under 0.5.
    calls(&breaker, t, Outcome::Success, 2);
    call(&breaker, t, Outcome::Failure);
    let metrics = breaker.metrics();
    assert_eq!((metrics.calls, metrics.failures), (4, 1));
    assert_eq!(breaker.state(), Closed);
    call(&breaker, t, Outcome::Failure);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn open_rejects_with_the_time_left_and_never_zero() {
    let t = Instant::now();
    let breaker = opened(t);
    let open = breaker.try_acquire_at(t + SEC * 4).unwrap_err();
    assert_eq!(
        open,
        CircuitOpen {
            name: "test",
            retry_in: SEC * 6
        }
    );
    assert_eq!(retry_in(breaker.try_acquire_at(t + SEC * 10 - MS)), MS);
    // At the end of open_for the call is a probe, not a zero-length rejection.
    let probe = breaker.try_acquire_at(t + SEC * 10).unwrap();
    assert!(probe.is_probe());
    assert_eq!(breaker.state(), HalfOpen);
}

#[test]
fn half_open_admits_exactly_the_probes_and_asks_the_others_to_wait() {
    let t = Instant::now() + SEC * 10;
    let breaker = opened(t - SEC * 10);
    let probes: Vec<_> = (0..3).map(|_| breaker.try_acquire_at(t).unwrap()).collect();
    assert!(probes.iter().all(Permit::is_probe));
    // The fourth is rejected with a positive wait: open_for capped at one second.
    assert_eq!(retry_in(breaker.try_acquire_at(t)), SEC);
    assert_eq!(breaker.probes_admitted(), 3);

    drop(probes);

    // A short open_for is a short wait.
    let short = self::breaker(
        counting(2, 1)
            .with_open_for(MS * 200)
            .with_half_open_calls(1),
    );
    call(&short, t, Outcome::Failure);
    let later = t + MS * 200;
    let _probe = short.try_acquire_at(later).unwrap();
    assert_eq!(retry_in(short.try_acquire_at(later)), MS * 200);
}

#[test]
fn closes_when_the_probes_succeed() {
    let t = Instant::now();
    let breaker = opened(t);
    let seen = watch(&breaker);
    let later = t + SEC * 10;
    let probes: Vec<_> = (0..3)
        .map(|_| breaker.try_acquire_at(later).unwrap())
        .collect();
    let mut probes = probes.into_iter();
    probes.next().unwrap().record_at(Outcome::Failure, later);
    probes.next().unwrap().record_at(Outcome::Success, later);
    assert_eq!(
        breaker.state(),
        HalfOpen,
        "the verdict waits for every probe"
    );
    probes.next().unwrap().record_at(Outcome::Success, later);
    // 1 failure of 3 is under 0.5: closed, with an empty window.
    assert_eq!(breaker.state(), Closed);
    assert_eq!(breaker.metrics().calls, 0);
    assert_eq!(
        *seen.lock().unwrap(),
        [(Open, HalfOpen), (HalfOpen, Closed)]
    );
}

#[test]
fn reopens_when_the_probes_fail_and_waits_open_for_again() {
    let t = Instant::now();
    let breaker = opened(t);
    let later = t + SEC * 10;
    let probes: Vec<_> = (0..3)
        .map(|_| breaker.try_acquire_at(later).unwrap())
        .collect();
    let outcomes = [Outcome::Failure, Outcome::Success, Outcome::Failure];
    for (probe, outcome) in probes.into_iter().zip(outcomes) {
        probe.record_at(outcome, later + SEC);
    }
    // 2 of 3 reach 0.5: open again, for open_for from the verdict.
    assert_eq!(breaker.state(), Open);
    assert_eq!(retry_in(breaker.try_acquire_at(later + SEC * 2)), SEC * 9);
    assert!(breaker.try_acquire_at(later + SEC * 11).unwrap().is_probe());
}

#[test]
fn a_dropped_probe_gives_its_slot_back() {
    let t = Instant::now();
    let breaker = breaker(counting(2, 1).with_half_open_calls(1));
    call(&breaker, t, Outcome::Failure);
    let later = t + SEC * 30;
    let probe = breaker.try_acquire_at(later).unwrap();
    assert!(breaker.try_acquire_at(later).is_err());
    drop(probe);
    let probe = breaker
        .try_acquire_at(later)
        .expect("the slot was given back");
    // An ignored probe gives it back too.
    probe.ignore();
    let probe = breaker.try_acquire_at(later).unwrap();
    probe.record_at(Outcome::Success, later);
    assert_eq!(breaker.state(), Closed);
}

#[test]
fn a_probe_dropped_by_a_panic_counts_as_a_failure() {
    let t = Instant::now();
    let breaker = breaker(counting(2, 1).with_half_open_calls(1));
    call(&breaker, t, Outcome::Failure);
    let later = t + SEC * 30;
    let probe = breaker.try_acquire_at(later).unwrap();
    let panicked = catch_unwind(AssertUnwindSafe(move || {
        let _probe = probe;
        panic!("the call blew up");
    }));
    assert!(panicked.is_err());
    assert_eq!(breaker.state(), Open);
}

#[test]
fn a_closed_call_that_panics_counts_as_a_failure() {
    let breaker = breaker(counting(2, 1));
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _permit = breaker.try_acquire().unwrap();
        panic!("the call blew up");
    }));
    assert!(panicked.is_err());
    assert_eq!(breaker.state(), Open);
}

#[test]
fn a_dropped_closed_permit_is_not_counted() {
    let breaker = breaker(counting(2, 1));
    drop(breaker.try_acquire().unwrap());
    assert_eq!(breaker.metrics().calls, 0);
}

#[test]
fn time_windows_forget_old_buckets() {
    let t = Instant::now();
    let config = BreakerConfig::new()
        .with_window(Window::Time(SEC * 10))
        .with_min_calls(3);
    let breaker = breaker(config);
    call(&breaker, t, Outcome::Failure);
    call(&breaker, t + SEC, Outcome::Failure);
    assert_eq!(breaker.metrics_at(t + SEC * 9).calls, 2);
    // Ten seconds on, the first failure's bucket has left the window.
    assert_eq!(breaker.metrics_at(t + SEC * 10).calls, 1);
    call(&breaker, t + SEC * 10, Outcome::Failure);
    assert_eq!(
        breaker.state(),
        Closed,
        "2 calls in the window, under min_calls"
    );
    call(&breaker, t + SEC * 10, Outcome::Failure);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn slow_calls_trip_it_even_when_they_succeed() {
    let t = Instant::now();
    let config = counting(4, 4)
        .with_failure_rate(1.0)
        .with_slow_call(SEC)
        .with_slow_rate(0.5);
    let breaker = breaker(config);
    let slow = |at: Instant| {
        breaker
            .try_acquire_at(at)
            .unwrap()
            .record_at(Outcome::Success, at + SEC + MS)
    };
    slow(t);
    // Exactly `slow_call` is not slower than it.
    breaker
        .try_acquire_at(t)
        .unwrap()
        .record_at(Outcome::Success, t + SEC);
    call(&breaker, t, Outcome::Success);
    assert_eq!(breaker.metrics().slow_calls, 1);
    assert_eq!(breaker.state(), Closed);
    slow(t);
    assert_eq!(breaker.metrics().slow_rate(), Some(0.5));
    assert_eq!(breaker.state(), Open);
}

#[test]
fn slow_probes_reopen_it() {
    let t = Instant::now();
    let config = counting(2, 1)
        .with_half_open_calls(2)
        .with_slow_call(SEC)
        .with_slow_rate(0.5);
    let breaker = breaker(config);
    call(&breaker, t, Outcome::Failure);
    let later = t + SEC * 30;
    let fast = breaker.try_acquire_at(later).unwrap();
    let slow = breaker.try_acquire_at(later).unwrap();
    fast.record_at(Outcome::Success, later);
    slow.record_at(Outcome::Success, later + SEC * 2);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn a_breaker_without_slow_calls_never_reads_the_start() {
    let breaker = breaker(counting(2, 1));
    let permit = breaker.try_acquire().unwrap();
    assert_eq!(permit.started(), None);
    permit.success();
    let slow = self::breaker(counting(2, 1).with_slow_call(SEC));
    let permit = slow.try_acquire().unwrap();
    assert!(permit.started().is_some());
    permit.success();
}

#[test]
fn forced_open_rejects_everything_until_reset() {
    let t = Instant::now();
    let breaker = breaker(counting(4, 2));
    let seen = watch(&breaker);
    breaker.force_open();
    breaker.force_open();
    assert_eq!(breaker.state(), ForcedOpen);
    // No schedule ends a forced state: the wait is open_for, and time changes nothing.
    assert_eq!(retry_in(breaker.try_acquire_at(t + SEC * 3600)), SEC * 30);
    breaker.reset();
    assert_eq!(breaker.state(), Closed);
    assert_eq!(
        *seen.lock().unwrap(),
        [(Closed, ForcedOpen), (ForcedOpen, Closed)]
    );
}

#[test]
fn forced_closed_admits_everything_and_records_nothing() {
    let t = Instant::now();
    let breaker = breaker(counting(4, 2));
    breaker.force_closed();
    calls(&breaker, t, Outcome::Failure, 10);
    assert_eq!(breaker.state(), ForcedClosed);
    assert_eq!(breaker.metrics().calls, 0);
    breaker.force_open();
    assert_eq!(breaker.state(), ForcedOpen);
    breaker.force_closed();
    assert_eq!(breaker.state(), ForcedClosed);
}

#[test]
fn reset_closes_with_an_empty_window_and_drops_calls_in_flight() {
    let t = Instant::now();
    let breaker = breaker(counting(4, 2));
    let seen = watch(&breaker);
    call(&breaker, t, Outcome::Failure);
    let in_flight = breaker.try_acquire_at(t).unwrap();
    breaker.reset();
    assert_eq!(breaker.metrics().calls, 0);
    assert!(
        seen.lock().unwrap().is_empty(),
        "closed to closed is not a transition"
    );
    in_flight.record_at(Outcome::Failure, t);
    assert_eq!(breaker.metrics().calls, 0, "admitted before the reset");
    call(&breaker, t, Outcome::Failure);
    assert_eq!(breaker.metrics().calls, 1);
}

#[test]
fn permanent_errors_are_left_out_of_the_window() {
    let breaker = breaker(counting(4, 2));
    for _ in 0..5 {
        breaker
            .try_acquire()
            .unwrap()
            .record(Classification::Permanent);
        breaker.try_acquire().unwrap().record_failed(false);
    }
    assert_eq!(breaker.metrics().calls, 0);
    assert_eq!(breaker.state(), Closed);
    breaker
        .try_acquire()
        .unwrap()
        .record(Classification::Transient);
    breaker
        .try_acquire()
        .unwrap()
        .record(Classification::RetryAfter(SEC));
    assert_eq!(breaker.state(), Open);
}

#[test]
fn record_failed_true_is_a_failure() {
    let breaker = breaker(counting(4, 1));
    breaker.try_acquire().unwrap().record_failed(true);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn late_results_from_an_older_state_are_ignored() {
    let t = Instant::now();
    let breaker = breaker(counting(4, 2).with_half_open_calls(1));
    let seen = watch(&breaker);
    let slow_call = breaker.try_acquire_at(t).unwrap();
    calls(&breaker, t, Outcome::Failure, 2);
    assert_eq!(breaker.state(), Open);

    // Admitted while closed, finished while open: dropped, and no second opening.
    let metrics = breaker.metrics();
    slow_call.record_at(Outcome::Failure, t);
    assert_eq!(breaker.metrics(), metrics);

    // A probe that outlives its half-open period is dropped too.
    let later = t + SEC * 30;
    let probe = breaker.try_acquire_at(later).unwrap();
    breaker.force_open();
    breaker.reset();
    probe.record_at(Outcome::Failure, later);
    assert_eq!(breaker.state(), Closed);
    assert_eq!(breaker.metrics().calls, 0);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Closed, Open),
            (Open, HalfOpen),
            (HalfOpen, ForcedOpen),
            (ForcedOpen, Closed)
        ]
    );
}

#[test]
fn a_closed_call_admitted_before_a_whole_cycle_is_ignored() {
    let t = Instant::now();
    let breaker = breaker(counting(2, 1).with_half_open_calls(1));
    let old = breaker.try_acquire_at(t).unwrap();
    call(&breaker, t, Outcome::Failure);
    let later = t + SEC * 30;
    call(&breaker, later, Outcome::Success);
    assert_eq!(breaker.state(), Closed);
    // Closed again, but in a later generation than the one that admitted `old`.
    old.record_at(Outcome::Failure, later);
    assert_eq!(breaker.metrics().calls, 0);
    assert_eq!(breaker.state(), Closed);
}

#[test]
fn subscribers_hear_transitions_in_order_even_from_inside_a_subscriber() {
    let t = Instant::now();
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(breaker(counting(2, 1))));
    let seen = watch(breaker);
    // A subscriber that reacts to opening by forcing the breaker open: its transition is
    // queued and delivered after the one being delivered, to everyone.
    breaker.subscribe(move |t| {
        if t.to == Open {
            breaker.force_open();
        }
    });
    call(breaker, t, Outcome::Failure);
    breaker.reset();
    assert_eq!(
        *seen.lock().unwrap(),
        [(Closed, Open), (Open, ForcedOpen), (ForcedOpen, Closed)]
    );
}

#[test]
fn a_subscriber_hears_only_the_transitions_made_after_it_subscribed() {
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(breaker(counting(2, 1))));
    let late = Arc::new(StdMutex::new(Vec::new()));
    let log = Arc::clone(&late);
    // While the first event is delivered, this subscriber makes a second transition, which
    // is queued behind it, then subscribes another: that one was not there when the second
    // transition was made, so it hears only the third.
    breaker.subscribe(move |t| {
        if t.to == ForcedOpen {
            breaker.reset();
            let log = Arc::clone(&log);
            breaker.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));
        }
    });
    breaker.force_open();
    breaker.force_closed();
    assert_eq!(*late.lock().unwrap(), [(Closed, ForcedClosed)]);
}

#[test]
fn a_panicking_subscriber_does_not_break_the_call_or_the_others() {
    let breaker = breaker(counting(2, 1));
    breaker.subscribe(|_| panic!("subscriber bug"));
    let seen = watch(&breaker);
    breaker.try_acquire().unwrap().failure();
    breaker.reset();
    assert_eq!(*seen.lock().unwrap(), [(Closed, Open), (Open, Closed)]);
}

#[test]
fn instants_before_the_breaker_was_made_work() {
    let early = Instant::now();
    let breaker = breaker(counting(2, 1).with_open_for(SEC));
    let before = early.checked_sub(SEC * 5).unwrap_or(early);
    call(&breaker, before, Outcome::Failure);
    assert_eq!(
        retry_in(breaker.try_acquire_at(before + MS * 400)),
        MS * 600
    );
    assert!(breaker.try_acquire_at(before + SEC).unwrap().is_probe());
}

#[test]
fn the_default_clock_drives_a_breaker_without_instants() {
    // The default clock drives a breaker with a long open_for: it stays open.
    let breaker = breaker(counting(2, 1));
    breaker.try_acquire().unwrap().failure();
    let open = breaker.try_acquire().unwrap_err();
    assert!(
        open.retry_in > SEC * 29 && open.retry_in <= SEC * 30,
        "{open:?}"
    );
}

#[test]
fn try_acquire_leaves_its_closed_shortcut_for_every_other_state() {
    // `try_acquire` admits a closed call without leaving the caller; in every other state it
    // must take the full path, as `try_acquire_at` always does.
    let config = counting(2, 1)
        .with_open_for(Duration::from_nanos(1))
        .with_half_open_calls(1);
    let breaker = breaker(config);
    breaker.force_open();
    assert_eq!(retry_in(breaker.try_acquire()), Duration::from_nanos(1));
    breaker.force_closed();
    breaker.try_acquire().unwrap().failure();
    assert_eq!(
        (breaker.state(), breaker.metrics().calls),
        (ForcedClosed, 0)
    );
    breaker.reset();
    breaker.try_acquire().unwrap().failure();
    assert_eq!(breaker.state(), Open);
    // open_for (1 ns) has passed by the next call: it is the one probe, and the next waits.
    let probe = breaker.try_acquire().unwrap();
    assert!(probe.is_probe());
    assert_eq!(retry_in(breaker.try_acquire()), Duration::from_nanos(1));
    probe.success();
    assert_eq!(breaker.state(), Closed);
}
