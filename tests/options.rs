//! Each `#[retry]` option, observed through exact schedules on tokio's paused clock and
//! through the attempts a call makes.

use std::cell::{Cell, RefCell};
use std::sync::Mutex;
use std::time::Duration;

use backstop::{AttemptState, Classification, Retryable, TimedOut, retry};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Error {
    Busy,
    Invalid,
    Later(Duration),
    TimedOut,
}

impl Retryable for Error {
    fn classify(&self) -> Classification {
        match self {
            Error::Busy | Error::TimedOut => Classification::Transient,
            Error::Invalid => Classification::Permanent,
            Error::Later(wait) => Classification::RetryAfter(*wait),
        }
    }
}

impl From<TimedOut> for Error {
    fn from(_: TimedOut) -> Self {
        Error::TimedOut
    }
}

/// Records when each attempt started, relative to `start`, and fails with the scripted
/// errors in turn.
struct Script {
    start: Instant,
    errors: RefCell<Vec<Error>>,
    starts: RefCell<Vec<Duration>>,
}

impl Script {
    fn new(errors: &[Error]) -> Self {
        Script {
            start: Instant::now(),
            errors: RefCell::new(errors.iter().rev().cloned().collect()),
            starts: RefCell::new(Vec::new()),
        }
    }

    fn attempt(&self) -> Result<usize, Error> {
        self.starts.borrow_mut().push(self.start.elapsed());
        match self.errors.borrow_mut().pop() {
            Some(error) => Err(error),
            None => Ok(self.starts.borrow().len()),
        }
    }

    fn starts(&self) -> Vec<Duration> {
        self.starts.borrow().clone()
    }
}

#[retry(attempts = 5, backoff = exponential(100ms, factor = 3, max = 1s), jitter = none)]
async fn exponential(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn exponential_backoff_multiplies_up_to_its_cap() {
    let script = Script::new(&[Error::Busy, Error::Busy, Error::Busy, Error::Busy]);
    assert_eq!(exponential(&script).await, Ok(5));
    // 100, 300, 900, then 2700 capped at 1000.
    assert_eq!(script.starts(), [0, 100, 400, 1300, 2300].map(|m| MS * m));
}

#[retry(attempts = 4, backoff = linear("50ms", step = "25ms"), jitter = none)]
async fn linear(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn linear_backoff_adds_its_step_and_accepts_quoted_durations() {
    let script = Script::new(&[Error::Busy, Error::Busy, Error::Busy]);
    assert_eq!(linear(&script).await, Ok(4));
    assert_eq!(script.starts(), [0, 50, 125, 225].map(|m| MS * m));
}

#[retry(attempts = 6, backoff = exponential(1s, max = 2s), jitter = full)]
async fn full_jitter(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn jittered_delays_never_exceed_the_cap() {
    let script = Script::new(&[Error::Busy; 5]);
    assert_eq!(full_jitter(&script).await, Ok(6));
    let starts = script.starts();
    let gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|gap| *gap <= Duration::from_secs(2)),
        "{gaps:?}"
    );
}

#[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
async fn retry_after(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn retry_after_waits_at_least_what_the_server_asked() {
    let script = Script::new(&[Error::Later(Duration::from_secs(2)), Error::Later(MS)]);
    assert_eq!(retry_after(&script).await, Ok(3));
    assert_eq!(script.starts(), [0, 2000, 2010].map(|m| MS * m));
}

#[retry(attempts = 3, max_retry_after = 1s, backoff = constant(10ms))]
async fn capped_retry_after(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_above_the_limit_ends_the_call_at_once() {
    let too_long = Error::Later(Duration::from_millis(1001));
    let script = Script::new(std::slice::from_ref(&too_long));
    assert_eq!(capped_retry_after(&script).await, Err(too_long));
    assert_eq!(script.starts(), [Duration::ZERO]);
}

#[retry(attempts = 10, max_elapsed = 1s, backoff = constant(300ms), jitter = none)]
async fn deadline(script: &Script) -> Result<usize, Error> {
    tokio::time::sleep(MS * 50).await;
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn no_attempt_starts_past_the_deadline() {
    let script = Script::new(&[Error::Busy; 10]);
    let start = Instant::now();
    assert_eq!(deadline(&script).await, Err(Error::Busy));
    // Attempts end at 50, 400, 750; a fourth would start at 1050.
    assert_eq!(script.starts(), [50, 400, 750].map(|m| MS * m));
    assert_eq!(start.elapsed(), MS * 750);
}

#[retry(attempts = 3, timeout = 100ms, backoff = constant(0ms))]
async fn timeout(script: &Script, hang: &Cell<bool>) -> Result<usize, Error> {
    if hang.replace(false) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn a_hung_attempt_times_out_and_the_next_one_runs() {
    let script = Script::new(&[]);
    let hang = Cell::new(true);
    let start = Instant::now();
    assert_eq!(timeout(&script, &hang).await, Ok(1));
    assert_eq!(start.elapsed(), MS * 100);
}

const LIMIT: Duration = Duration::from_millis(40);

struct Client;

impl Client {
    const PAUSE: Duration = Duration::from_millis(15);

    #[retry(attempts = 3, timeout = LIMIT, backoff = constant(Self::PAUSE), jitter = none)]
    async fn always_hangs(&self) -> Result<(), Error> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn durations_can_be_constants_including_associated_ones() {
    let start = Instant::now();
    assert_eq!(Client.always_hangs().await, Err(Error::TimedOut));
    assert_eq!(start.elapsed(), MS * (40 * 3 + 15 * 2));
}

#[retry(attempts = 4, backoff = constant(0ms), when = |e: &Error| *e == Error::Invalid)]
fn when_inverts(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn when_replaces_the_retryable_impl() {
    let script = Script::new(&[Error::Invalid, Error::Busy]);
    assert_eq!(when_inverts(&script), Err(Error::Busy));
    assert_eq!(script.starts().len(), 2);
}

fn everything_transient(_: &Error) -> Classification {
    Classification::Transient
}

#[retry(attempts = 3, backoff = constant(0ms), classify = everything_transient)]
fn classify_by_path(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn classify_takes_a_path() {
    let script = Script::new(&[Error::Invalid, Error::Invalid]);
    assert_eq!(classify_by_path(&script), Ok(3));
}

static SEEN: Mutex<Vec<(u32, Duration, Duration)>> = Mutex::new(Vec::new());

#[retry(
    attempts = 3,
    backoff = constant(25ms),
    jitter = none,
    on_retry = |_: &Error, state: &AttemptState| {
        SEEN.lock().unwrap().push((state.attempt, state.next_delay, state.elapsed))
    }
)]
async fn hooked(script: &Script) -> Result<usize, Error> {
    tokio::time::sleep(MS * 5).await;
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn on_retry_sees_each_retry_before_its_sleep() {
    let script = Script::new(&[Error::Busy, Error::Busy]);
    assert_eq!(hooked(&script).await, Ok(3));
    assert_eq!(
        *SEEN.lock().unwrap(),
        [(1, MS * 25, MS * 5), (2, MS * 25, MS * 35)]
    );
}

#[retry(attempts = 3, backoff = constant(0ms), context = attempt)]
fn with_context(keys: &RefCell<Vec<(u32, String)>>) -> Result<u32, Error> {
    keys.borrow_mut()
        .push((attempt.attempt(), attempt.idempotency_key().to_string()));
    if attempt.is_first() {
        Err(Error::Busy)
    } else {
        Ok(attempt.attempt())
    }
}

#[test]
fn context_numbers_attempts_and_keeps_one_key_per_call() {
    let keys = RefCell::new(Vec::new());
    assert_eq!(with_context(&keys), Ok(2));
    assert_eq!(with_context(&keys), Ok(2));
    let keys = keys.into_inner();
    assert_eq!(keys.iter().map(|k| k.0).collect::<Vec<_>>(), [1, 2, 1, 2]);
    assert_eq!(keys[0].1, keys[1].1, "one key across a call's attempts");
    assert_ne!(keys[1].1, keys[2].1, "a new key for each call");
}

fn degrade(error: Error) -> Result<usize, Error> {
    match error {
        Error::Busy => Ok(0),
        other => Err(other),
    }
}

#[retry(attempts = 2, backoff = constant(0ms), fallback = degrade)]
fn with_fallback(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn fallback_turns_the_final_error_into_the_result() {
    let script = Script::new(&[Error::Busy, Error::Busy]);
    assert_eq!(with_fallback(&script), Ok(0));
    let script = Script::new(&[Error::Invalid]);
    assert_eq!(with_fallback(&script), Err(Error::Invalid));
}

mod renamed {
    pub use backstop as resilience;
}

#[retry(crate = renamed::resilience, attempts = 2, backoff = constant(0ms))]
fn through_a_renamed_crate(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn crate_points_the_expansion_at_another_path() {
    let script = Script::new(&[Error::Busy]);
    assert_eq!(through_a_renamed_crate(&script), Ok(2));
}

static BUDGET: backstop::RetryBudget = backstop::RetryBudget::new(4, 0.5);

#[retry(attempts = 10, backoff = constant(0ms), budget = BUDGET)]
fn budgeted(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn a_retry_budget_stops_retries_when_too_many_calls_fail() {
    // Four tokens; a retry needs more than two. The first call fails twice (4 -> 2 tokens)
    // and stops; the next one fails once (2 -> 1) and may not retry at all.
    let script = Script::new(&[Error::Busy; 10]);
    assert_eq!(budgeted(&script), Err(Error::Busy));
    assert_eq!(script.starts().len(), 2);
    assert_eq!(budgeted(&script), Err(Error::Busy));
    assert_eq!(script.starts().len(), 3);
    // Successes refill half a token each.
    let script = Script::new(&[]);
    for _ in 0..4 {
        assert!(budgeted(&script).is_ok());
    }
    assert!(BUDGET.allow_retry());
}

#[retry(attempts = 3, backoff = constant(0ms), jitter = none)]
async fn zero_delay(script: &Script) -> Result<usize, Error> {
    script.attempt()
}

#[tokio::test(start_paused = true)]
async fn a_zero_delay_does_not_wait_for_the_timer() {
    // tokio rounds a sleep up to the next millisecond, even a zero one; a zero delay must
    // not go through it at all.
    let script = Script::new(&[Error::Busy, Error::Busy]);
    let start = Instant::now();
    assert_eq!(zero_delay(&script).await, Ok(3));
    assert_eq!(start.elapsed(), Duration::ZERO);
}
