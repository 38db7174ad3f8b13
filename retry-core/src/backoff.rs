//! Base delays between attempts, before jitter.

use std::fmt;
use std::time::Duration;

/// The schedule of base delays between attempts.
///
/// Retry `n` (the first retry is `n = 1`) waits, before jitter:
///
/// | kind | base delay |
/// |---|---|
/// | [`constant(d)`](Self::constant) | `d` |
/// | [`linear(d, step, max)`](Self::linear) | `d + step * (n - 1)`, capped at `max` |
/// | [`exponential(d, factor, max)`](Self::exponential) | `d * factor^(n - 1)`, capped at `max` |
///
/// Every computation saturates: no attempt number, however large, overflows or panics.
///
/// # Default
///
/// `exponential(100ms, factor = 2, max = 10s)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use retry_core::Backoff;
///
/// const BACKOFF: Backoff = match Backoff::exponential(
///     Duration::from_millis(100),
///     2.0,
///     Duration::from_secs(1),
/// ) {
///     Ok(backoff) => backoff,
///     Err(err) => err.panic_in_const(),
/// };
///
/// assert_eq!(BACKOFF.delay(1), Duration::from_millis(100));
/// assert_eq!(BACKOFF.delay(4), Duration::from_millis(800));
/// assert_eq!(BACKOFF.delay(5), Duration::from_secs(1));
/// assert_eq!(BACKOFF.delay(u32::MAX), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    kind: Kind,
    initial: Duration,
    max: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Constant,
    Linear { step: Duration },
    Exponential { factor: f64 },
}

/// Why a backoff could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidBackoff {
    /// The cap is below the initial delay.
    MaxBelowInitial,
    /// An exponential factor below 1, or not a finite number.
    BadFactor,
    /// An exponential backoff that starts at zero stays at zero.
    ZeroInitial,
}

impl InvalidBackoff {
    /// Stops const evaluation with this error's message; for `const` policies, where a
    /// `Result` cannot be unwrapped.
    pub const fn panic_in_const(self) -> ! {
        match self {
            InvalidBackoff::MaxBelowInitial => panic!("backoff `max` is below the initial delay"),
            InvalidBackoff::BadFactor => panic!("backoff `factor` must be a finite number >= 1"),
            InvalidBackoff::ZeroInitial => panic!("exponential backoff must start above zero"),
        }
    }
}

impl fmt::Display for InvalidBackoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidBackoff::MaxBelowInitial => "backoff `max` is below the initial delay",
            InvalidBackoff::BadFactor => "backoff `factor` must be a finite number >= 1",
            InvalidBackoff::ZeroInitial => "exponential backoff must start above zero",
        })
    }
}

impl std::error::Error for InvalidBackoff {}

impl Backoff {
    /// The default: `exponential(100ms, factor = 2, max = 10s)`.
    pub const DEFAULT: Backoff = Backoff {
        kind: Kind::Exponential { factor: 2.0 },
        initial: Duration::from_millis(100),
        max: Duration::from_secs(10),
    };

    /// The same delay before every retry.
    #[must_use]
    pub const fn constant(delay: Duration) -> Backoff {
        Backoff {
            kind: Kind::Constant,
            initial: delay,
            max: delay,
        }
    }

    /// `initial + step * (n - 1)` before retry `n`, capped at `max`.
    ///
    /// # Errors
    ///
    /// [`InvalidBackoff::MaxBelowInitial`] when `max < initial`.
    pub const fn linear(
        initial: Duration,
        step: Duration,
        max: Duration,
    ) -> Result<Backoff, InvalidBackoff> {
        if max.as_nanos() < initial.as_nanos() {
            return Err(InvalidBackoff::MaxBelowInitial);
        }
        Ok(Backoff {
            kind: Kind::Linear { step },
            initial,
            max,
        })
    }

    /// `initial * factor^(n - 1)` before retry `n`, capped at `max`.
    ///
    /// # Errors
    ///
    /// [`InvalidBackoff::ZeroInitial`] for a zero `initial`, [`InvalidBackoff::BadFactor`]
    /// for a `factor` below 1 or not finite, [`InvalidBackoff::MaxBelowInitial`] when
    /// `max < initial`.
    pub const fn exponential(
        initial: Duration,
        factor: f64,
        max: Duration,
    ) -> Result<Backoff, InvalidBackoff> {
        if initial.is_zero() {
            return Err(InvalidBackoff::ZeroInitial);
        }
        // NaN fails every comparison, so it lands here too.
        let at_least_one = factor >= 1.0;
        if !at_least_one || !factor.is_finite() {
            return Err(InvalidBackoff::BadFactor);
        }
        if max.as_nanos() < initial.as_nanos() {
            return Err(InvalidBackoff::MaxBelowInitial);
        }
        Ok(Backoff {
            kind: Kind::Exponential { factor },
            initial,
            max,
        })
    }

    /// The delay before the first retry.
    #[must_use]
    pub const fn initial(&self) -> Duration {
        self.initial
    }

    /// The cap: no base or jittered delay exceeds it.
    #[must_use]
    pub const fn max(&self) -> Duration {
        self.max
    }

    /// The base delay before retry `n` (the first retry is `n = 1`; `n = 0` is treated as 1).
    #[inline]
    #[must_use]
    pub fn delay(&self, n: u32) -> Duration {
        let steps = n.saturating_sub(1);
        let delay = match self.kind {
            Kind::Constant => self.initial,
            Kind::Linear { step } => self.initial.saturating_add(step.saturating_mul(steps)),
            Kind::Exponential { factor } => scale(self.initial, factor, steps).unwrap_or(self.max),
        };
        if delay > self.max { self.max } else { delay }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::DEFAULT
    }
}

/// `initial * factor^steps`, or `None` when that is past what the cap can matter for.
fn scale(initial: Duration, factor: f64, steps: u32) -> Option<Duration> {
    if steps == 0 {
        return Some(initial);
    }
    // An exponent past i32::MAX gives the same answer as i32::MAX: infinity or 1.
    let exponent = i32::try_from(steps).unwrap_or(i32::MAX);
    // Whole nanoseconds keep products such as 100ms * 1.5^2 exact.
    let nanos = initial.as_nanos() as f64 * factor.powi(exponent);
    if nanos < u64::MAX as f64 {
        Some(Duration::from_nanos(nanos as u64))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn constant_never_changes() {
        let b = Backoff::constant(MS * 7);
        for n in [0, 1, 2, 1000, u32::MAX] {
            assert_eq!(b.delay(n), MS * 7);
        }
    }

    #[test]
    fn linear_grows_by_step_up_to_max() {
        let b = Backoff::linear(MS * 10, MS * 5, MS * 30).unwrap();
        let got: Vec<_> = (1..=7).map(|n| b.delay(n)).collect();
        assert_eq!(got, [10, 15, 20, 25, 30, 30, 30].map(|m| MS * m));
        assert_eq!(b.delay(u32::MAX), MS * 30);
    }

    #[test]
    fn exponential_multiplies_by_factor_up_to_max() {
        let b = Backoff::exponential(MS * 100, 2.0, Duration::from_secs(10)).unwrap();
        let got: Vec<_> = (1..=9).map(|n| b.delay(n)).collect();
        let want = [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000].map(|m| MS * m);
        assert_eq!(got, want);
        let b = Backoff::exponential(MS * 100, 1.5, Duration::from_secs(10)).unwrap();
        assert_eq!(b.delay(3), MS * 225);
    }

    #[test]
    fn default_is_exponential_100ms_doubling_to_10s() {
        let b = Backoff::default();
        assert_eq!(
            (b.delay(1), b.delay(2), b.delay(200)),
            (MS * 100, MS * 200, MS * 10_000)
        );
    }

    #[test]
    fn invalid_shapes_are_rejected() {
        assert_eq!(
            Backoff::linear(MS * 2, MS, MS),
            Err(InvalidBackoff::MaxBelowInitial)
        );
        assert_eq!(
            Backoff::exponential(MS * 2, 2.0, MS),
            Err(InvalidBackoff::MaxBelowInitial)
        );
        assert_eq!(
            Backoff::exponential(MS, 0.5, MS * 9),
            Err(InvalidBackoff::BadFactor)
        );
        assert_eq!(
            Backoff::exponential(MS, f64::NAN, MS * 9),
            Err(InvalidBackoff::BadFactor)
        );
        let inf = f64::INFINITY;
        assert_eq!(
            Backoff::exponential(MS, inf, MS * 9),
            Err(InvalidBackoff::BadFactor)
        );
        assert_eq!(
            Backoff::exponential(Duration::ZERO, 2.0, MS),
            Err(InvalidBackoff::ZeroInitial)
        );
    }

    fn any_backoff() -> impl Strategy<Value = Backoff> {
        let d = (0u64..=u64::MAX).prop_map(Duration::from_nanos);
        prop_oneof![
            d.clone().prop_map(Backoff::constant),
            (d.clone(), d.clone(), d.clone()).prop_filter_map("max < initial", |(i, s, m)| {
                Backoff::linear(i, s, m).ok()
            }),
            (d.clone(), 1.0f64..1e6, d).prop_filter_map("invalid", |(i, f, m)| {
                Backoff::exponential(i, f, m).ok()
            }),
        ]
    }

    proptest! {
        #[test]
        fn delays_stay_within_initial_and_max(b in any_backoff(), n in 0u32..=u32::MAX) {
            let d = b.delay(n);
            prop_assert!(d <= b.max());
            prop_assert!(d >= b.initial());
        }

        #[test]
        fn delays_never_shrink_as_attempts_grow(b in any_backoff(), n in 1u32..u32::MAX) {
            prop_assert!(b.delay(n) <= b.delay(n + 1));
        }
    }
}
