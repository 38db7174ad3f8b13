//! The settings of a circuit breaker: plain data, built in `const` context and checked before
//! a breaker is made from them.

use std::fmt;
use std::time::Duration;

/// Which recent calls a closed breaker judges by.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use retry_core::Window;
///
/// assert_eq!(Window::Count(100).to_string(), "count(100)");
/// assert_eq!(Window::Time(Duration::from_secs(60)).to_string(), "time(60s)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// The last `N` calls, at most [`Window::MAX_COUNT`].
    ///
    /// Recording into a count window never locks. When more than `N` outcomes are recorded
    /// at the same instant by different threads, the window holds `N` of the most recent
    /// ones, not necessarily the very last `N`, and a verdict may briefly count an outcome
    /// still being recorded (so at most `N` plus the number of threads recording at that
    /// moment). The counts settle to exactly the slots' contents as soon as the recording
    /// threads are done; no outcome is ever lost or counted twice.
    ///
    /// Recording an outcome equal to the one it pushes out (a success after a success `N`
    /// calls ago) writes only the ring's position, with one atomic add; one that changes the
    /// window takes three more atomic writes. Every call still writes that position, so
    /// threads calling one breaker at a very high rate keep sharing its cache line.
    Count(u32),
    /// The calls of the last `D`, summed in buckets of at most a second (tenths of `D` when
    /// `D` is under 10 s). There are at most [`Window::MAX_BUCKETS`] buckets, so a window
    /// longer than an hour has buckets longer than a second.
    ///
    /// Calls leave the window a bucket at a time: a call is counted for between `D` minus
    /// one bucket and `D`. Recording into a time window reads the clock and takes a short
    /// lock on the window.
    Time(Duration),
}

impl Window {
    /// The largest count window, a little over a million calls.
    pub const MAX_COUNT: u32 = 1 << 20;

    /// The most buckets a time window is split into.
    pub const MAX_BUCKETS: u32 = 3600;
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Count(calls) => write!(f, "count({calls})"),
            Window::Time(span) => write!(f, "time({span:?})"),
        }
    }
}

/// When a circuit breaker opens, how long it stays open, and how it probes its way back.
///
/// A configuration is plain data: build it in `const` context with the `with_*` methods and
/// check it with [`validate`](Self::validate) (which
/// [`CircuitBreaker::new`](crate::CircuitBreaker::new) and the registry do for you).
///
/// # Default
///
/// | setting | default |
/// |---|---|
/// | [`failure_rate`](Self::failure_rate) | 0.5 |
/// | [`window`](Self::window) | [`Window::Count(100)`](Window::Count) |
/// | [`min_calls`](Self::min_calls) | 10 |
/// | [`open_for`](Self::open_for) | 30 s |
/// | [`half_open_calls`](Self::half_open_calls) | 3 |
/// | [`slow_call`](Self::slow_call) | off |
/// | [`slow_rate`](Self::slow_rate) | 1.0 (used only with `slow_call`) |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use retry_core::{BreakerConfig, Window};
///
/// const PAYMENTS: BreakerConfig = BreakerConfig::new()
///     .with_failure_rate(0.25)
///     .with_window(Window::Time(Duration::from_secs(30)))
///     .with_min_calls(20)
///     .with_open_for(Duration::from_secs(10))
///     .with_slow_call(Duration::from_secs(2))
///     .with_slow_rate(0.5);
///
/// assert!(PAYMENTS.validate().is_ok());
/// assert!(BreakerConfig::new().with_min_calls(0).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    failure_rate: f64,
    window: Window,
    min_calls: u32,
    open_for: Duration,
    half_open_calls: u32,
    slow_call: Option<Duration>,
    slow_rate: f64,
}

impl BreakerConfig {
    /// The default configuration; see the table above.
    pub const DEFAULT: BreakerConfig = BreakerConfig {
        failure_rate: 0.5,
        window: Window::Count(100),
        min_calls: 10,
        open_for: Duration::from_secs(30),
        half_open_calls: 3,
        slow_call: None,
        slow_rate: 1.0,
    };

    /// The most probes a half-open breaker can let through at once.
    pub const MAX_HALF_OPEN_CALLS: u32 = 1023;

    /// The default configuration; see the table above.
    #[must_use]
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// The failure rate, in `(0, 1]`, at which a closed breaker opens: it opens when
    /// failures / calls in the window reach it (`>=`).
    #[must_use]
    pub const fn with_failure_rate(mut self, failure_rate: f64) -> Self {
        self.failure_rate = failure_rate;
        self
    }

    /// The calls that a closed breaker judges by.
    #[must_use]
    pub const fn with_window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// How many calls the window must hold, at least 1, before the breaker can open. With a
    /// count window it cannot be larger than the window.
    #[must_use]
    pub const fn with_min_calls(mut self, min_calls: u32) -> Self {
        self.min_calls = min_calls;
        self
    }

    /// How long an open breaker rejects calls before it lets probes through.
    #[must_use]
    pub const fn with_open_for(mut self, open_for: Duration) -> Self {
        self.open_for = open_for;
        self
    }

    /// How many probes, from 1 to [`MAX_HALF_OPEN_CALLS`](Self::MAX_HALF_OPEN_CALLS), a
    /// half-open breaker lets through; all of them must finish before it decides.
    #[must_use]
    pub const fn with_half_open_calls(mut self, half_open_calls: u32) -> Self {
        self.half_open_calls = half_open_calls;
        self
    }

    /// Counts calls that take longer than `slow_call` as slow, whether they succeed or
    /// fail; the breaker also opens when slow calls / calls reach the
    /// [`slow_rate`](Self::with_slow_rate).
    #[must_use]
    pub const fn with_slow_call(mut self, slow_call: Duration) -> Self {
        self.slow_call = Some(slow_call);
        self
    }

    /// The slow-call rate, in `(0, 1]`, at which the breaker opens; used only with
    /// [`with_slow_call`](Self::with_slow_call).
    #[must_use]
    pub const fn with_slow_rate(mut self, slow_rate: f64) -> Self {
        self.slow_rate = slow_rate;
        self
    }

    /// The failure rate at which a closed breaker opens.
    #[must_use]
    pub const fn failure_rate(&self) -> f64 {
        self.failure_rate
    }

    /// The calls that a closed breaker judges by.
    #[must_use]
    pub const fn window(&self) -> Window {
        self.window
    }

    /// How many calls the window must hold before the breaker can open.
    #[must_use]
    pub const fn min_calls(&self) -> u32 {
        self.min_calls
    }

    /// How long an open breaker rejects calls before it lets probes through.
    #[must_use]
    pub const fn open_for(&self) -> Duration {
        self.open_for
    }

    /// How many probes a half-open breaker lets through.
    #[must_use]
    pub const fn half_open_calls(&self) -> u32 {
        self.half_open_calls
    }

    /// Calls longer than this are slow; `None` when slow calls are not tracked.
    #[must_use]
    pub const fn slow_call(&self) -> Option<Duration> {
        self.slow_call
    }

    /// The slow-call rate at which the breaker opens.
    #[must_use]
    pub const fn slow_rate(&self) -> f64 {
        self.slow_rate
    }

    /// Checks every setting; the first one out of range is the error.
    ///
    /// # Errors
    ///
    /// A rate outside `(0, 1]` (NaN included), `count(0)` or a count window above
    /// [`Window::MAX_COUNT`], `time(0)`, `min_calls` of 0 or above a count window, a zero
    /// `open_for` or `slow_call`, and `half_open_calls` of 0 or above
    /// [`MAX_HALF_OPEN_CALLS`](Self::MAX_HALF_OPEN_CALLS).
    pub const fn validate(&self) -> Result<(), InvalidBreakerConfig> {
        use InvalidBreakerConfig as E;

        if !is_rate(self.failure_rate) {
            return Err(E::FailureRate(self.failure_rate));
        }
        match self.window {
            Window::Count(0) => return Err(E::EmptyCountWindow),
            Window::Count(calls) if calls > Window::MAX_COUNT => {
                return Err(E::CountWindowTooLarge(calls));
            }
            Window::Count(calls) if self.min_calls > calls => {
                return Err(E::MinCallsAboveWindow {
                    min_calls: self.min_calls,
                    window: calls,
                });
            }
            Window::Time(span) if span.is_zero() => return Err(E::EmptyTimeWindow),
            _ => {}
        }
        if self.min_calls == 0 {
            return Err(E::ZeroMinCalls);
        }
        if self.open_for.is_zero() {
            return Err(E::ZeroOpenFor);
        }
        if self.half_open_calls == 0 {
            return Err(E::ZeroHalfOpenCalls);
        }
        if self.half_open_calls > Self::MAX_HALF_OPEN_CALLS {
            return Err(E::TooManyHalfOpenCalls(self.half_open_calls));
        }
        if let Some(slow_call) = self.slow_call {
            if slow_call.is_zero() {
                return Err(E::ZeroSlowCall);
            }
            if !is_rate(self.slow_rate) {
                return Err(E::SlowRate(self.slow_rate));
            }
        }
        Ok(())
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Written the way the attribute takes it, for error messages and logs.
impl fmt::Display for BreakerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "failure_rate = {}, window = {}, min_calls = {}, open_for = {:?}, \
             half_open_calls = {}",
            self.failure_rate, self.window, self.min_calls, self.open_for, self.half_open_calls
        )?;
        match self.slow_call {
            Some(slow_call) => write!(
                f,
                ", slow_call = {slow_call:?}, slow_rate = {}",
                self.slow_rate
            ),
            None => Ok(()),
        }
    }
}

/// `true` for a rate in `(0, 1]`; NaN is not one.
const fn is_rate(rate: f64) -> bool {
    rate > 0.0 && rate <= 1.0
}

/// A [`BreakerConfig`] setting out of range.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum InvalidBreakerConfig {
    /// `failure_rate` is not in `(0, 1]`.
    FailureRate(f64),
    /// `slow_rate` is not in `(0, 1]`.
    SlowRate(f64),
    /// `count(0)`: a window that holds no call.
    EmptyCountWindow,
    /// A count window above [`Window::MAX_COUNT`].
    CountWindowTooLarge(u32),
    /// `time(0)`: a window that holds no call.
    EmptyTimeWindow,
    /// `min_calls` is 0.
    ZeroMinCalls,
    /// `min_calls` is larger than the count window, so the breaker could never open.
    MinCallsAboveWindow {
        /// The `min_calls` setting.
        min_calls: u32,
        /// The size of the count window.
        window: u32,
    },
    /// `open_for` is zero.
    ZeroOpenFor,
    /// `half_open_calls` is 0.
    ZeroHalfOpenCalls,
    /// `half_open_calls` is above [`BreakerConfig::MAX_HALF_OPEN_CALLS`].
    TooManyHalfOpenCalls(u32),
    /// `slow_call` is zero.
    ZeroSlowCall,
}

impl InvalidBreakerConfig {
    /// What is wrong, without the offending value: usable in `const` context, where a
    /// `panic!` can only print a plain string.
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        use InvalidBreakerConfig as E;
        match self {
            E::FailureRate(_) => "`failure_rate` must be in (0, 1]",
            E::SlowRate(_) => "`slow_rate` must be in (0, 1]",
            E::EmptyCountWindow => "a `count` window must hold at least 1 call",
            E::CountWindowTooLarge(_) => "a `count` window holds at most 1048576 calls",
            E::EmptyTimeWindow => "a `time` window must be longer than zero",
            E::ZeroMinCalls => "`min_calls` must be at least 1",
            E::MinCallsAboveWindow { .. } => "`min_calls` cannot be larger than the `count` window",
            E::ZeroOpenFor => "`open_for` must be longer than zero",
            E::ZeroHalfOpenCalls => "`half_open_calls` must be at least 1",
            E::TooManyHalfOpenCalls(_) => "`half_open_calls` must be at most 1023",
            E::ZeroSlowCall => "`slow_call` must be longer than zero",
        }
    }
}

impl fmt::Display for InvalidBreakerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use InvalidBreakerConfig as E;
        f.write_str(self.reason())?;
        match self {
            E::FailureRate(rate) | E::SlowRate(rate) => write!(f, ", found {rate}"),
            E::CountWindowTooLarge(calls) => write!(f, ", found {calls}"),
            E::MinCallsAboveWindow { min_calls, window } => {
                write!(f, ", found {min_calls} for `count({window})`")
            }
            E::TooManyHalfOpenCalls(calls) => write!(f, ", found {calls}"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for InvalidBreakerConfig {}

#[cfg(test)]
mod tests {
    use super::*;
    use InvalidBreakerConfig as E;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn defaults_follow_the_contract() {
        let config = BreakerConfig::new();
        assert_eq!(config.failure_rate(), 0.5);
        assert_eq!(config.window(), Window::Count(100));
        assert_eq!(config.min_calls(), 10);
        assert_eq!(config.open_for(), SEC * 30);
        assert_eq!(config.half_open_calls(), 3);
        assert_eq!(config.slow_call(), None);
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(BreakerConfig::default(), config);
    }

    #[test]
    fn rates_must_lie_in_zero_exclusive_to_one_inclusive() {
        let base = BreakerConfig::new();
        assert_eq!(base.with_failure_rate(1.0).validate(), Ok(()));
        assert_eq!(
            base.with_failure_rate(0.0).validate(),
            Err(E::FailureRate(0.0))
        );
        assert_eq!(
            base.with_failure_rate(1.5).validate(),
            Err(E::FailureRate(1.5))
        );
        assert!(matches!(
            base.with_failure_rate(f64::NAN).validate(),
            Err(E::FailureRate(rate)) if rate.is_nan()
        ));
        let slow = base.with_slow_call(SEC);
        assert_eq!(slow.with_slow_rate(1.0).validate(), Ok(()));
        assert_eq!(slow.with_slow_rate(-0.1).validate(), Err(E::SlowRate(-0.1)));
        // Without `slow_call` the slow rate is unused, so it is not checked.
        assert_eq!(base.with_slow_rate(2.0).validate(), Ok(()));
    }

    #[test]
    fn windows_and_counts_are_checked() {
        let base = BreakerConfig::new();
        assert_eq!(
            base.with_window(Window::Count(0)).validate(),
            Err(E::EmptyCountWindow)
        );
        let huge = Window::MAX_COUNT + 1;
        assert_eq!(
            base.with_window(Window::Count(huge)).validate(),
            Err(E::CountWindowTooLarge(huge))
        );
        assert_eq!(
            base.with_window(Window::Count(5)).validate(),
            Err(E::MinCallsAboveWindow {
                min_calls: 10,
                window: 5
            })
        );
        assert_eq!(base.with_window(Window::Count(10)).validate(), Ok(()));
        assert_eq!(
            base.with_window(Window::Time(Duration::ZERO)).validate(),
            Err(E::EmptyTimeWindow)
        );
        // A time window holds any number of calls, so min_calls is not bounded by it.
        let time = base.with_window(Window::Time(SEC)).with_min_calls(1000);
        assert_eq!(time.validate(), Ok(()));
        assert_eq!(base.with_min_calls(0).validate(), Err(E::ZeroMinCalls));
    }

    #[test]
    fn durations_and_probe_counts_are_checked() {
        let base = BreakerConfig::new();
        assert_eq!(
            base.with_open_for(Duration::ZERO).validate(),
            Err(E::ZeroOpenFor)
        );
        assert_eq!(
            base.with_half_open_calls(0).validate(),
            Err(E::ZeroHalfOpenCalls)
        );
        assert_eq!(
            base.with_half_open_calls(1024).validate(),
            Err(E::TooManyHalfOpenCalls(1024))
        );
        assert_eq!(base.with_half_open_calls(1023).validate(), Ok(()));
        assert_eq!(
            base.with_slow_call(Duration::ZERO).validate(),
            Err(E::ZeroSlowCall)
        );
    }

    #[test]
    fn validation_works_in_const_context() {
        const CHECK: Result<(), InvalidBreakerConfig> =
            BreakerConfig::new().with_half_open_calls(0).validate();
        assert_eq!(CHECK, Err(E::ZeroHalfOpenCalls));
    }

    #[test]
    fn errors_and_configs_read_like_the_attribute() {
        let err = BreakerConfig::new()
            .with_failure_rate(1.5)
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`failure_rate` must be in (0, 1], found 1.5"
        );
        let err = BreakerConfig::new()
            .with_window(Window::Count(4))
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`min_calls` cannot be larger than the `count` window, found 10 for `count(4)`"
        );
        assert_eq!(
            BreakerConfig::new().with_slow_call(SEC * 2).to_string(),
            "failure_rate = 0.5, window = count(100), min_calls = 10, open_for = 30s, \
             half_open_calls = 3, slow_call = 2s, slow_rate = 1"
        );
    }
}
