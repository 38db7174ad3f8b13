//! Randomising delays so that many clients do not retry in lockstep.

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// How a base delay is randomised, after the formulas of the AWS article "Exponential
/// Backoff and Jitter".
///
/// | kind | delay before the next attempt |
/// |---|---|
/// | `None` | `base` |
/// | `Full` | `random(0, base)` |
/// | `Equal` | `base / 2 + random(0, base / 2)` |
/// | `Decorrelated` | `min(max, random(initial, previous * 3))`, where `previous` starts at `initial` |
///
/// `base` is the backoff's capped delay for this retry, so a jittered delay never exceeds
/// the backoff's `max`. `Decorrelated` uses only the backoff's initial delay and cap, not
/// its shape.
///
/// # Default
///
/// `Full`: it spreads retries the most and did the least work in the article's simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// No randomness: sleep the base delay.
    None,
    /// Anywhere between zero and the base delay.
    #[default]
    Full,
    /// At least half the base delay.
    Equal,
    /// Each delay drawn from between the initial delay and three times the previous one.
    Decorrelated,
}

impl Jitter {
    /// The delay to sleep, given the backoff's `base` delay for this retry, its `initial`
    /// delay and `max` cap, and the `previous` delay slept (`initial` before the first).
    ///
    /// Every value is clamped to `[0, max]`; nothing here overflows or panics.
    #[must_use]
    pub fn apply<R: Rng + ?Sized>(
        self,
        base: Duration,
        initial: Duration,
        max: Duration,
        previous: Duration,
        rng: &mut R,
    ) -> Duration {
        let base = base.min(max);
        match self {
            Jitter::None => base,
            Jitter::Full => between(Duration::ZERO, base, rng),
            Jitter::Equal => {
                let half = base / 2;
                // `base - half` rather than `half` keeps odd nanoseconds.
                half + between(Duration::ZERO, base - half, rng)
            }
            Jitter::Decorrelated => {
                let low = initial.min(max);
                let high = previous.max(low).saturating_mul(3);
                between(low, high, rng).min(max)
            }
        }
    }
}

/// A uniformly random duration in `[low, high]`, at nanosecond resolution; delays beyond
/// 584 years are treated as 584 years.
fn between<R: Rng + ?Sized>(low: Duration, high: Duration, rng: &mut R) -> Duration {
    let low = nanos(low);
    let high = nanos(high).max(low);
    Duration::from_nanos(rng.random_range(low..=high))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

thread_local! {
    static THREAD_RNG: RefCell<SmallRng> = RefCell::new(SmallRng::seed_from_u64(fresh_seed()));
}

/// A seed that differs between threads and processes, taken from the per-process random
/// keys that the standard library already draws for `HashMap`.
fn fresh_seed() -> u64 {
    RandomState::new().hash_one(std::thread::current().id())
}

/// Runs `f` with this thread's jitter generator: a small, fast, non-cryptographic RNG.
pub fn with_thread_rng<T>(f: impl FnOnce(&mut SmallRng) -> T) -> T {
    THREAD_RNG.with(|rng| f(&mut rng.borrow_mut()))
}

/// Reseeds this thread's jitter generator, so that a test or simulation sees the same
/// delays on every run.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use retry_core::{seed_thread_rng, with_thread_rng, Jitter};
///
/// let ms = Duration::from_millis;
/// let draw = || {
///     with_thread_rng(|rng| Jitter::Full.apply(ms(100), ms(100), ms(100), ms(100), rng))
/// };
/// seed_thread_rng(7);
/// let first = draw();
/// seed_thread_rng(7);
/// assert_eq!(draw(), first);
/// ```
pub fn seed_thread_rng(seed: u64) {
    THREAD_RNG.with(|rng| *rng.borrow_mut() = SmallRng::seed_from_u64(seed));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(nanos: u64) -> Duration {
        Duration::from_nanos(nanos)
    }

    #[test]
    fn none_is_the_capped_base() {
        let mut rng = SmallRng::seed_from_u64(1);
        assert_eq!(
            Jitter::None.apply(d(50), d(10), d(40), d(10), &mut rng),
            d(40)
        );
        assert_eq!(
            Jitter::None.apply(d(30), d(10), d(40), d(10), &mut rng),
            d(30)
        );
    }

    #[test]
    fn full_jitter_covers_the_whole_range() {
        let mut rng = SmallRng::seed_from_u64(2);
        let draws: Vec<_> = (0..2000)
            .map(|_| Jitter::Full.apply(d(100), d(1), d(100), d(1), &mut rng))
            .collect();
        assert!(draws.iter().all(|x| *x <= d(100)));
        assert!(
            draws.iter().any(|x| *x < d(10)),
            "never drew from the low end"
        );
        assert!(
            draws.iter().any(|x| *x > d(90)),
            "never drew from the high end"
        );
    }

    #[test]
    fn same_seed_same_delays() {
        let run = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..20)
                .map(|_| Jitter::Full.apply(d(1_000_000), d(1), d(1_000_000), d(1), &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    proptest! {
        #[test]
        fn every_jitter_stays_within_zero_and_max(
            base in 0u64..=u64::MAX,
            initial in 0u64..=u64::MAX,
            max in 0u64..=u64::MAX,
            previous in 0u64..=u64::MAX,
            seed in any::<u64>(),
        ) {
            let mut rng = SmallRng::seed_from_u64(seed);
            for jitter in [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
                let delay = jitter.apply(d(base), d(initial), d(max), d(previous), &mut rng);
                prop_assert!(delay <= d(max), "{jitter:?} gave {delay:?} above {max}ns");
            }
        }

        #[test]
        fn equal_jitter_keeps_at_least_half(base in 0u64..=u64::MAX, seed in any::<u64>()) {
            let mut rng = SmallRng::seed_from_u64(seed);
            let delay = Jitter::Equal.apply(d(base), d(0), d(u64::MAX), d(0), &mut rng);
            prop_assert!(delay >= d(base / 2) && delay <= d(base));
        }

        #[test]
        fn decorrelated_stays_between_initial_and_three_times_previous(
            initial in 0u64..=u64::MAX / 8,
            previous in 0u64..=u64::MAX / 8,
            seed in any::<u64>(),
        ) {
            let mut rng = SmallRng::seed_from_u64(seed);
            let max = d(u64::MAX);
            let delay = Jitter::Decorrelated.apply(d(0), d(initial), max, d(previous), &mut rng);
            prop_assert!(delay >= d(initial));
            prop_assert!(delay <= d(previous.max(initial) * 3));
        }
    }
}
