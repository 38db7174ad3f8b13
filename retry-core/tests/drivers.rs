//! The blocking and async drivers against fake and paused clocks: exact schedules,
//! deadlines, server-requested waits and per-attempt timeouts.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::{Duration, Instant};

use retry_core::{
    AttemptState, Backoff, Classification, Clock, Jitter, Retry, RetryPolicy, Retryable, TimedOut,
};

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, PartialEq)]
enum Fail {
    Transient,
    Permanent,
    After(Duration),
    TimedOut,
}

impl Retryable for Fail {
    fn classify(&self) -> Classification {
        match self {
            Fail::Transient | Fail::TimedOut => Classification::Transient,
            Fail::Permanent => Classification::Permanent,
            Fail::After(wait) => Classification::RetryAfter(*wait),
        }
    }
}

impl From<TimedOut> for Fail {
    fn from(_: TimedOut) -> Self {
        Fail::TimedOut
    }
}

/// A clock whose sleeps advance time instantly and are recorded.
struct FakeClock {
    now: Cell<Instant>,
    slept: RefCell<Vec<Duration>>,
}

impl FakeClock {
    fn new() -> Self {
        FakeClock {
            now: Cell::new(Instant::now()),
            slept: RefCell::new(Vec::new()),
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.now.get()
    }

    fn sleep(&self, delay: Duration) {
        self.slept.borrow_mut().push(delay);
        self.now.set(self.now.get() + delay);
    }
}

const EXPONENTIAL: RetryPolicy = RetryPolicy::new()
    .with_attempts(5)
    .with_backoff(
        match Backoff::exponential(Duration::from_millis(100), 2.0, Duration::from_secs(1)) {
            Ok(b) => b,
            Err(e) => e.panic_in_const(),
        },
    )
    .with_jitter(Jitter::None);

/// Fails with each error of `script` in turn, then succeeds with the attempt count.
fn scripted(script: &[Fail]) -> impl FnMut() -> Result<usize, Fail> + '_ {
    let mut calls = 0;
    move || {
        calls += 1;
        match script.get(calls - 1) {
            Some(err) => Err(err.clone()),
            None => Ok(calls),
        }
    }
}

#[test]
fn blocking_sleeps_the_exact_exponential_schedule() {
    let clock = FakeClock::new();
    let script = [Fail::Transient, Fail::Transient, Fail::Transient];
    let result = Retry::new(&EXPONENTIAL)
        .clock(&clock)
        .call(scripted(&script));
    assert_eq!(result, Ok(4));
    assert_eq!(*clock.slept.borrow(), [MS * 100, MS * 200, MS * 400]);
}

#[test]
fn blocking_returns_the_last_error_when_attempts_run_out() {
    let clock = FakeClock::new();
    let mut calls = 0;
    let result: Result<(), String> = Retry::new(&EXPONENTIAL)
        .clock(&clock)
        .when(|_: &String| true)
        .call(|| {
            calls += 1;
            Err(format!("failure {calls}"))
        });
    assert_eq!(result, Err(format!("failure {calls}")));
    assert_eq!(calls, 5);
    assert_eq!(clock.slept.borrow().len(), 4);
}

#[test]
fn blocking_permanent_error_returns_at_once() {
    let clock = FakeClock::new();
    let result = Retry::new(&EXPONENTIAL)
        .clock(&clock)
        .call(scripted(&[Fail::Permanent]));
    assert_eq!(result, Err(Fail::Permanent));
    assert!(clock.slept.borrow().is_empty());
}

#[test]
fn blocking_deadline_cuts_retries_short() {
    // Sleeps of 100 and 200 fit in 350ms; the next one, 400, would cross it.
    let policy = EXPONENTIAL.with_max_elapsed(MS * 350);
    let clock = FakeClock::new();
    let script = [
        Fail::Transient,
        Fail::Transient,
        Fail::Transient,
        Fail::Transient,
    ];
    let result = Retry::new(&policy).clock(&clock).call(scripted(&script));
    assert_eq!(result, Err(Fail::Transient));
    assert_eq!(*clock.slept.borrow(), [MS * 100, MS * 200]);
}

#[test]
fn blocking_hook_sees_each_retry_before_its_sleep() {
    let clock = FakeClock::new();
    let seen = RefCell::new(Vec::new());
    let script = [Fail::Transient, Fail::After(MS * 700)];
    let result = Retry::new(&EXPONENTIAL)
        .clock(&clock)
        .on_retry(|err: &Fail, state: &AttemptState| {
            seen.borrow_mut()
                .push((err.clone(), state.attempt, state.next_delay, state.elapsed))
        })
        .call(scripted(&script));
    assert_eq!(result, Ok(3));
    assert_eq!(
        *seen.borrow(),
        [
            (Fail::Transient, 1, MS * 100, Duration::ZERO),
            (Fail::After(MS * 700), 2, MS * 700, MS * 100)
        ]
    );
}

#[test]
fn blocking_classify_overrides_retryable() {
    let clock = FakeClock::new();
    let result = Retry::new(&EXPONENTIAL)
        .clock(&clock)
        .classify(|_: &Fail| Classification::Permanent)
        .call(scripted(&[Fail::Transient]));
    assert_eq!(result, Err(Fail::Transient));
    assert!(clock.slept.borrow().is_empty());
}

/// Runs `fut` on a current-thread runtime whose clock is paused, and reports how much
/// virtual time it took.
fn paused<F: Future>(fut: F) -> (F::Output, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let start = tokio::time::Instant::now();
        let out = fut.await;
        (out, start.elapsed())
    })
}

/// An async op that fails with each error of `script` in turn, each attempt taking
/// `work` of virtual time, then succeeds with the attempt count.
fn scripted_async<'a>(
    script: &'a [Fail],
    work: Duration,
) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = Result<usize, Fail>> + 'a>> + 'a {
    let mut calls = 0;
    move || {
        calls += 1;
        let outcome = script.get(calls - 1).cloned();
        let n = calls;
        Box::pin(async move {
            tokio::time::sleep(work).await;
            match outcome {
                Some(err) => Err(err),
                None => Ok(n),
            }
        })
    }
}

#[test]
fn async_sleeps_the_exact_schedule_on_tokios_clock() {
    let script = [Fail::Transient, Fail::Transient];
    let (result, took) =
        paused(Retry::new(&EXPONENTIAL).call_async(scripted_async(&script, Duration::ZERO)));
    assert_eq!(result, Ok(3));
    assert_eq!(took, MS * 300);
}

#[test]
fn async_retry_after_is_a_floor() {
    let script = [Fail::After(Duration::from_secs(5)), Fail::After(MS)];
    let (result, took) =
        paused(Retry::new(&EXPONENTIAL).call_async(scripted_async(&script, Duration::ZERO)));
    assert_eq!(result, Ok(3));
    // 5s as the server asked, then our own 200ms since 1ms is below the backoff.
    assert_eq!(took, MS * 5200);
}

#[test]
fn async_retry_after_past_the_limit_returns_at_once() {
    let policy = EXPONENTIAL.with_max_retry_after(Duration::from_secs(30));
    let script = [Fail::After(Duration::from_secs(31))];
    let (result, took) =
        paused(Retry::new(&policy).call_async(scripted_async(&script, Duration::ZERO)));
    assert_eq!(result, Err(Fail::After(Duration::from_secs(31))));
    assert_eq!(took, Duration::ZERO);
}

#[test]
fn async_deadline_counts_attempt_time_and_never_sleeps_past_it() {
    // Each attempt takes 50ms. t=50 fail, sleep 100 -> t=150; t=200 fail, sleep 200 ->
    // t=400; t=450 fail, a 400ms sleep would end at 850 > 600: give up at 450.
    let policy = EXPONENTIAL.with_max_elapsed(MS * 600);
    let script = vec![Fail::Transient; 4];
    let (result, took) = paused(Retry::new(&policy).call_async(scripted_async(&script, MS * 50)));
    assert_eq!(result, Err(Fail::Transient));
    assert_eq!(took, MS * 450);
}

#[test]
fn async_timeout_turns_a_slow_attempt_into_a_transient_error() {
    let calls = Cell::new(0);
    let op = || {
        calls.set(calls.get() + 1);
        let n = calls.get();
        async move {
            tokio::time::sleep(if n == 1 {
                Duration::from_secs(60)
            } else {
                MS * 10
            })
            .await;
            Ok::<_, Fail>(n)
        }
    };
    let (result, took) = paused(Retry::new(&EXPONENTIAL).call_async_with_timeout(MS * 250, op));
    assert_eq!(result, Ok(2));
    // 250ms timed out, 100ms backoff, 10ms second attempt.
    assert_eq!(took, MS * 360);
}

#[test]
fn async_timeout_on_every_attempt_returns_timed_out() {
    let policy = EXPONENTIAL.with_attempts(2);
    let op = || async {
        std::future::pending::<()>().await;
        Ok::<(), Fail>(())
    };
    let (result, took) = paused(Retry::new(&policy).call_async_with_timeout(MS * 20, op));
    assert_eq!(result, Err(Fail::TimedOut));
    assert_eq!(took, MS * 140);
}

#[test]
fn async_permanent_error_returns_at_once() {
    let (result, took) = paused(
        Retry::new(&EXPONENTIAL).call_async(scripted_async(&[Fail::Permanent], Duration::ZERO)),
    );
    assert_eq!(result, Err(Fail::Permanent));
    assert_eq!(took, Duration::ZERO);
}

#[test]
fn async_driver_borrows_mutable_state_across_attempts() {
    let mut log = Vec::new();
    let (result, _) = paused(Retry::new(&EXPONENTIAL).call_async(|| {
        log.push(log.len());
        let n = log.len();
        async move { if n < 3 { Err(Fail::Transient) } else { Ok(n) } }
    }));
    assert_eq!(result, Ok(3));
    assert_eq!(log, [0, 1, 2]);
}
