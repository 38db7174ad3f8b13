//! Circuit breakers: stop calling a service that is down, let a few probes find out when it
//! is back.
//!
//! A breaker is *closed* while the calls it judges by (its [`Window`]) fail less often than
//! its threshold. When they fail too often, it *opens*: calls are rejected at once with
//! [`CircuitOpen`] for [`open_for`](BreakerConfig::open_for). Then it is *half-open*: a
//! fixed number of probes go through and, once all of them have finished, it closes if
//! they mostly succeeded and opens again if not. An operator can force it open or closed.
//!
//! The state is one atomic word (a generation counter and the state), read without a lock
//! by every call. State changes are rare and happen under a lock, which also orders the
//! events handed to subscribers.

mod call;
mod config;
mod count_window;
mod events;
mod permit;
mod probes;
mod time_window;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use call::BreakerFuture;
pub use config::{BreakerConfig, InvalidBreakerConfig, Window};
pub use events::Transition;
pub use permit::{Outcome, Permit};

use crate::CircuitOpen;
use crate::sync::{AtomicI64, AtomicU64, Mutex, Ordering, lock};
use count_window::CountWindow;
use events::{Control, deliver};
use permit::Ticket;
use probes::{Admission, Probes};
use time_window::TimeWindow;

/// The longest wait that a rejection by a half-open breaker asks for. The probes in flight
/// decide the breaker's fate as soon as they finish, which is usually well within a second.
const HALF_OPEN_WAIT: Duration = Duration::from_secs(1);

/// Where a circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls pass, and their outcomes are recorded in the window.
    Closed,
    /// Calls are rejected until `open_for` has passed since the breaker opened. The breaker
    /// turns half-open on the first call after that, so it reports `Open` until a call
    /// comes.
    Open,
    /// A fixed number of probes pass; the other calls are rejected.
    HalfOpen,
    /// Forced open by an operator: every call is rejected until
    /// [`reset`](CircuitBreaker::reset) or [`force_closed`](CircuitBreaker::force_closed).
    ForcedOpen,
    /// Forced closed (disabled) by an operator: every call passes and nothing is recorded,
    /// until [`reset`](CircuitBreaker::reset) or [`force_open`](CircuitBreaker::force_open).
    ForcedClosed,
}

impl BreakerState {
    const ALL: [BreakerState; 5] = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
        BreakerState::ForcedOpen,
        BreakerState::ForcedClosed,
    ];

    fn code(self) -> u64 {
        self as u64
    }

    fn from_code(code: u64) -> Self {
        // Only `code` writes the state word, so every code is in range.
        Self::ALL
            .get(code as usize)
            .copied()
            .unwrap_or(BreakerState::Closed)
    }
}

/// A breaker's counts, from [`CircuitBreaker::metrics`].
///
/// The counts are those of the closed state's window. They are kept while the breaker is
/// open or half-open, so they show the calls that opened it, and cleared when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// The state now.
    pub state: BreakerState,
    /// Calls in the window.
    pub calls: u64,
    /// Failed calls in the window.
    pub failures: u64,
    /// Slow calls in the window, failed or not; always 0 without `slow_call`.
    pub slow_calls: u64,
}

impl Metrics {
    /// Failures / calls in the window; `None` while the window is empty.
    #[must_use]
    pub fn failure_rate(&self) -> Option<f64> {
        rate(self.failures, self.calls)
    }

    /// Slow calls / calls in the window; `None` while the window is empty.
    #[must_use]
    pub fn slow_rate(&self) -> Option<f64> {
        rate(self.slow_calls, self.calls)
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// `part / whole >= threshold`. Dividing (rather than comparing `part` with
/// `threshold * whole`) keeps a threshold such as 0.3 exact at 3 out of 10.
///
/// A threshold is never zero (`validate` keeps rates in `(0, 1]`), so a `part` of zero never
/// reaches one: the verdict after a call into a healthy window, which holds no failure,
/// costs a comparison instead of two conversions and a float division.
fn reaches(part: u64, whole: u64, threshold: f64) -> bool {
    part > 0 && rate(part, whole).is_some_and(|rate| rate >= threshold)
}

/// Counts of calls: in a window, in a bucket, or of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

impl Tally {
    pub(crate) const ZERO: Tally = Tally {
        calls: 0,
        failures: 0,
        slow: 0,
    };

    pub(crate) fn of(mark: Mark) -> Self {
        Tally {
            calls: 1,
            failures: u64::from(mark.failed),
            slow: u64::from(mark.slow),
        }
    }

    pub(crate) fn plus(self, other: Tally) -> Self {
        Tally {
            calls: self.calls.saturating_add(other.calls),
            failures: self.failures.saturating_add(other.failures),
            slow: self.slow.saturating_add(other.slow),
        }
    }

    pub(crate) fn minus(self, other: Tally) -> Self {
        Tally {
            calls: self.calls.saturating_sub(other.calls),
            failures: self.failures.saturating_sub(other.failures),
            slow: self.slow.saturating_sub(other.slow),
        }
    }
}

/// One recorded call: did it fail, was it slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) failed: bool,
    pub(crate) slow: bool,
}

/// The outcomes the window and probe tests record.
#[cfg(test)]
impl Mark {
    pub(crate) const OK: Mark = Mark {
        failed: false,
        slow: false,
    };
    pub(crate) const FAIL: Mark = Mark {
        failed: true,
        slow: false,
    };
    pub(crate) const SLOW_FAIL: Mark = Mark {
        failed: true,
        slow: true,
    };
}

enum Recorder {
    Count(CountWindow),
    Time(TimeWindow),
}

/// The current instant, read from the breaker's clock at most once and only when needed, so
/// that a call through a closed count window never reads the clock.
pub(crate) struct Now(Option<Instant>);

impl Now {
    pub(crate) fn lazy() -> Self {
        Now(None)
    }

    pub(crate) fn at(now: Instant) -> Self {
        Now(Some(now))
    }

    fn get(&mut self) -> Instant {
        *self.0.get_or_insert_with(clock_now)
    }
}

/// The breakers' clock: tokio's with the `tokio` feature, so that tests with a paused clock
/// see exact transitions (outside a runtime it is the standard clock), else the standard
/// clock.
fn clock_now() -> Instant {
    #[cfg(feature = "tokio")]
    return tokio::time::Instant::now().into_std();
    #[cfg(not(feature = "tokio"))]
    return Instant::now();
}

/// A circuit breaker: stops calls to a service that keeps failing, and probes its way back.
///
/// Most breakers live in the process-wide registry (see [`breaker`](crate::breaker) and
/// [`register_breaker`](crate::register_breaker)), which `#[circuit_breaker]` uses; one can
/// also be made and owned like any value.
///
/// # The rules
///
/// - **Closed**: every call passes. Its outcome goes into the window, and once the window
///   holds at least `min_calls` calls, the breaker opens when failures / calls reach
///   `failure_rate`, or slow calls / calls reach `slow_rate` (`>=` in both cases).
/// - **Open**: calls are rejected with [`CircuitOpen`], whose `retry_in` is the time left
///   until `open_for` has passed (never zero). The first call after that turns the breaker
///   half-open.
/// - **Half-open**: exactly `half_open_calls` probes are admitted. When all of them have
///   finished, the breaker closes, with an empty window, if their failure rate and slow
///   rate are below the thresholds, and opens again otherwise. Other calls are rejected
///   with a `retry_in` of `open_for` or one second, whichever is shorter: the probes usually
///   decide within that, and a retry loop waiting on the breaker never spins.
/// - **Forced open**: rejects every call with a `retry_in` of `open_for`, since no schedule
///   will end it. **Forced closed**: admits every call and records nothing.
///
/// Outcomes are counted by [`Permit`]: [`Permanent`](crate::Classification::Permanent)
/// errors are left out of the window rather than counted as successes, since a rejected
/// request says nothing about the service's health either way; counting them as
/// successes would let a stream of bad requests hide an outage. An outcome counts only in
/// the state that admitted its call (see [`Permit`]).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use retry_core::{BreakerConfig, BreakerState, CircuitBreaker, Outcome, Window};
///
/// let config = BreakerConfig::new()
///     .with_window(Window::Count(10))
///     .with_min_calls(4)
///     .with_open_for(Duration::from_secs(5))
///     .with_half_open_calls(1);
/// let breaker = CircuitBreaker::new("search", config).unwrap();
/// let start = Instant::now();
///
/// for _ in 0..4 {
///     breaker.try_acquire_at(start).unwrap().record_at(Outcome::Failure, start);
/// }
/// let open = breaker.try_acquire_at(start + Duration::from_secs(2)).unwrap_err();
/// assert_eq!(open.retry_in, Duration::from_secs(3));
///
/// // After `open_for`, one probe goes through, and its success closes the breaker.
/// let later = start + Duration::from_secs(5);
/// let probe = breaker.try_acquire_at(later).unwrap();
/// assert_eq!(breaker.state(), BreakerState::HalfOpen);
/// probe.record_at(Outcome::Success, later);
/// assert_eq!(breaker.state(), BreakerState::Closed);
/// ```
pub struct CircuitBreaker {
    name: &'static str,
    config: BreakerConfig,
    /// The generation (bumped by every change of state) in the high half, the state's code
    /// in the low half. Written only under `control`.
    state: AtomicU64,
    /// While open: when probes may start, in nanoseconds since `base`. Written under
    /// `control` before the state that makes it relevant is published.
    open_until: AtomicI64,
    probes: Probes,
    window: Recorder,
    /// Instants are kept as signed nanoseconds from here.
    base: Instant,
    control: Mutex<Control>,
}

/// The state's half of the state word.
const STATE_MASK: u64 = 0xffff_ffff;

fn pack(generation: u32, state: BreakerState) -> u64 {
    u64::from(generation) << 32 | state.code()
}

fn unpack(word: u64) -> (u32, BreakerState) {
    (
        (word >> 32) as u32,
        BreakerState::from_code(word & STATE_MASK),
    )
}

fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

impl CircuitBreaker {
    /// A closed breaker named `name` (the name that [`CircuitOpen`] reports), outside the
    /// registry.
    ///
    /// # Errors
    ///
    /// When [`config.validate()`](BreakerConfig::validate) does.
    pub fn new(name: &'static str, config: BreakerConfig) -> Result<Self, InvalidBreakerConfig> {
        config.validate()?;
        Ok(Self::build(name, config, BreakerState::Closed))
    }

    /// A breaker in `state`, from a configuration that the caller has checked.
    pub(crate) fn build(name: &'static str, config: BreakerConfig, state: BreakerState) -> Self {
        let window = match config.window() {
            Window::Count(calls) => Recorder::Count(CountWindow::new(calls)),
            Window::Time(span) => Recorder::Time(TimeWindow::new(span)),
        };
        CircuitBreaker {
            name,
            config,
            state: AtomicU64::new(pack(0, state)),
            open_until: AtomicI64::new(0),
            probes: Probes::new(),
            window,
            base: clock_now(),
            control: Mutex::new(Control::new()),
        }
    }

    /// The breaker's name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state now. An open breaker whose `open_for` has passed still reports
    /// [`Open`](BreakerState::Open) until a call turns it half-open.
    #[must_use]
    pub fn state(&self) -> BreakerState {
        unpack(self.state.load(Ordering::Acquire)).1
    }

    /// The state and the window's counts now.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.metrics_with(Now::lazy())
    }

    /// The state and the window's counts as of `now`, which must come from the breaker's
    /// clock (a time window forgets the calls older than its span as of `now`).
    #[must_use]
    pub fn metrics_at(&self, now: Instant) -> Metrics {
        self.metrics_with(Now::at(now))
    }

    fn metrics_with(&self, mut now: Now) -> Metrics {
        let state = self.state();
        let tally = match &self.window {
            Recorder::Count(window) => window.tally(),
            Recorder::Time(window) => window.tally(self.offset(now.get())),
        };
        Metrics {
            state,
            calls: tally.calls,
            failures: tally.failures,
            slow_calls: tally.slow,
        }
    }

    /// Asks to make a call: a [`Permit`] to report its outcome to, or the rejection.
    ///
    /// Through a closed breaker this is one atomic load, inlined into the caller: no lock,
    /// no allocation, and no clock read unless slow calls are tracked.
    ///
    /// # Errors
    ///
    /// [`CircuitOpen`] when the breaker is open, forced open, or half-open with every probe
    /// slot taken; its `retry_in` is never zero.
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        // The closed path without slow-call timing, inlined into the caller so that the
        // permit stays in registers; every other state, and timing, go out of line.
        let word = self.state.load(Ordering::Acquire);
        if word & STATE_MASK == BreakerState::Closed.code() && self.config.slow_call().is_none() {
            return Ok(Permit::new(self, Ticket::Closed(unpack(word).0), None));
        }
        self.acquire(word, Now::lazy())
    }

    /// Like [`try_acquire`](Self::try_acquire), as of `now`, which must come from the
    /// breaker's clock (tokio's with the `tokio` feature, else the standard one).
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire).
    pub fn try_acquire_at(&self, now: Instant) -> Result<Permit<'_>, CircuitOpen> {
        self.acquire(self.state.load(Ordering::Acquire), Now::at(now))
    }

    /// The full admission, from the state `word` just read.
    fn acquire(&self, mut word: u64, mut now: Now) -> Result<Permit<'_>, CircuitOpen> {
        loop {
            let (generation, state) = unpack(word);
            match state {
                BreakerState::Closed => {
                    let started = self.config.slow_call().map(|_| now.get());
                    return Ok(Permit::new(self, Ticket::Closed(generation), started));
                }
                BreakerState::ForcedClosed => return Ok(Permit::new(self, Ticket::Free, None)),
                BreakerState::ForcedOpen => return Err(self.rejection(self.config.open_for())),
                BreakerState::Open => {
                    let left = self
                        .open_until
                        .load(Ordering::Relaxed)
                        .saturating_sub(self.offset(now.get()));
                    if left > 0 {
                        // Positive, so never the zero that `rejection` guards against.
                        return Err(CircuitOpen {
                            name: self.name,
                            retry_in: Duration::from_nanos(left.unsigned_abs()),
                        });
                    }
                    self.transition(Some(word), BreakerState::HalfOpen, &mut now);
                }
                BreakerState::HalfOpen => {
                    let limit = self.config.half_open_calls();
                    match self.probes.admit(generation, limit) {
                        Admission::Admitted => {
                            let started = self.config.slow_call().map(|_| now.get());
                            return Ok(Permit::new(self, Ticket::Probe(generation), started));
                        }
                        Admission::Full => {
                            let wait = self.config.open_for().min(HALF_OPEN_WAIT);
                            return Err(self.rejection(wait));
                        }
                        // The breaker moved on since `word` was read: look again.
                        Admission::Stale => {}
                    }
                }
            }
            word = self.state.load(Ordering::Acquire);
        }
    }

    fn rejection(&self, retry_in: Duration) -> CircuitOpen {
        CircuitOpen {
            name: self.name,
            retry_in: retry_in.max(Duration::from_nanos(1)),
        }
    }

    /// Takes a permit's outcome; `None` is a permit dropped without one.
    pub(crate) fn settle(
        &self,
        ticket: Ticket,
        started: Option<Instant>,
        outcome: Option<Outcome>,
        mut now: Now,
    ) {
        let failed = match outcome {
            Some(Outcome::Success) => false,
            Some(Outcome::Failure) => true,
            Some(Outcome::Ignored) | None => {
                if let Ticket::Probe(generation) = ticket {
                    self.probes.release(generation);
                }
                return;
            }
        };
        let slow = match (started, self.config.slow_call()) {
            (Some(started), Some(limit)) => now.get().saturating_duration_since(started) > limit,
            _ => false,
        };
        let mark = Mark { failed, slow };
        match ticket {
            Ticket::Free => {}
            Ticket::Closed(generation) => self.record_closed(generation, mark, now),
            Ticket::Probe(generation) => {
                let limit = self.config.half_open_calls();
                if let Some(probes) = self.probes.finish(generation, mark, limit) {
                    let whole = u64::from(limit);
                    let next =
                        if self.trips(u64::from(probes.failed), u64::from(probes.slow), whole) {
                            BreakerState::Open
                        } else {
                            BreakerState::Closed
                        };
                    let expected = pack(generation, BreakerState::HalfOpen);
                    self.transition(Some(expected), next, &mut now);
                }
            }
        }
    }

    fn record_closed(&self, generation: u32, mark: Mark, mut now: Now) {
        let word = self.state.load(Ordering::Acquire);
        if word != pack(generation, BreakerState::Closed) {
            // Admitted before the last change of state: a late result, dropped.
            return;
        }
        let tally = match &self.window {
            Recorder::Count(window) => window.record(mark),
            Recorder::Time(window) => window.record(self.offset(now.get()), mark),
        };
        if tally.calls >= u64::from(self.config.min_calls())
            && self.trips(tally.failures, tally.slow, tally.calls)
        {
            self.transition(Some(word), BreakerState::Open, &mut now);
        }
    }

    /// Whether these counts reach the failure or the slow-call threshold.
    fn trips(&self, failures: u64, slow: u64, calls: u64) -> bool {
        reaches(failures, calls, self.config.failure_rate())
            || (self.config.slow_call().is_some() && reaches(slow, calls, self.config.slow_rate()))
    }

    /// Moves to `to` if the state word is still `expected` (or unconditionally for `None`),
    /// then delivers the event if anyone would hear it. Returns whether the move happened.
    fn transition(&self, expected: Option<u64>, to: BreakerState, now: &mut Now) -> bool {
        let mut control = lock(&self.control);
        let word = self.state.load(Ordering::Acquire);
        if expected.is_some_and(|expected| expected != word) {
            return false;
        }
        let (generation, from) = unpack(word);
        let next = generation.wrapping_add(1);

        // Prepare the new state before publishing it: a call that sees the state sees this.
        match to {
            BreakerState::Open => {
                let until = self
                    .offset(now.get())
                    .saturating_add(nanos(self.config.open_for()));
                self.open_until.store(until, Ordering::Relaxed);
            }
            BreakerState::HalfOpen => self.probes.reset(next),
            BreakerState::Closed => match &self.window {
                Recorder::Count(window) => window.clear(),
                Recorder::Time(window) => window.clear(),
            },
            BreakerState::ForcedOpen | BreakerState::ForcedClosed => {}
        }
        self.state.store(pack(next, to), Ordering::Release);

        let transition = Transition {
            name: self.name,
            from,
            to,
        };
        if from != to && control.queue(transition) {
            deliver(&self.control, control);
        }
        true
    }

    /// Forces the breaker open: every call is rejected until [`reset`](Self::reset) or
    /// [`force_closed`](Self::force_closed). Calls in flight are not counted.
    pub fn force_open(&self) {
        self.force(BreakerState::ForcedOpen);
    }

    /// Forces the breaker closed (disables it): every call passes and nothing is recorded,
    /// until [`reset`](Self::reset) or [`force_open`](Self::force_open).
    pub fn force_closed(&self) {
        self.force(BreakerState::ForcedClosed);
    }

    fn force(&self, to: BreakerState) {
        loop {
            let word = self.state.load(Ordering::Acquire);
            if unpack(word).1 == to || self.transition(Some(word), to, &mut Now::lazy()) {
                return;
            }
        }
    }

    /// Closes the breaker, from any state, forced ones included, with an empty window. The
    /// outcomes of calls admitted before the reset are not counted.
    pub fn reset(&self) {
        self.transition(None, BreakerState::Closed, &mut Now::lazy());
    }

    /// Calls `subscriber` with every later transition of this breaker, in order: those
    /// made after `subscribe` returns, not those made before and still being delivered.
    ///
    /// Subscribers are called outside the breaker's locks, on the thread of a call or an
    /// operator that made a transition (or that of another such thread, which delivers
    /// events queued meanwhile, in order), so they should be quick. They may call the
    /// breaker, force it or subscribe again. A subscriber should not panic: one that does
    /// misses that event only, and the panic does not reach the call that made the
    /// transition, except when that call was itself unwinding from a panic (a permit dropped
    /// by a panicking thread counts a failure, which can open the breaker), where a second
    /// panic aborts the process. Subscribers stay as long as the breaker; there is no
    /// unsubscribing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use retry_core::{BreakerConfig, BreakerState, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::new("mail", BreakerConfig::new()).unwrap();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// breaker.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));
    ///
    /// breaker.force_open();
    /// breaker.reset();
    /// assert_eq!(
    ///     *seen.lock().unwrap(),
    ///     [
    ///         (BreakerState::Closed, BreakerState::ForcedOpen),
    ///         (BreakerState::ForcedOpen, BreakerState::Closed),
    ///     ]
    /// );
    /// ```
    pub fn subscribe(&self, subscriber: impl Fn(&Transition) + Send + Sync + 'static) {
        lock(&self.control).subscribe(Arc::new(subscriber));
    }

    /// Nanoseconds from the breaker's base instant to `now`, negative before it.
    fn offset(&self, now: Instant) -> i64 {
        match now.checked_duration_since(self.base) {
            Some(after) => nanos(after),
            None => nanos(self.base.saturating_duration_since(now)).saturating_neg(),
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn probes_admitted(&self) -> u64 {
        self.probes.admitted()
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
