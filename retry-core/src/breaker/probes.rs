//! The probes of a half-open breaker, counted in one atomic word so that admitting a probe
//! and taking the verdict after the last one never need a lock.
//!
//! The word is tagged with the half-open generation it counts for: a probe from an earlier
//! half-open period finds another tag and changes nothing.

use super::Mark;
use crate::sync::{AtomicU64, Ordering};

/// Each counter takes 10 bits (`BreakerConfig::MAX_HALF_OPEN_CALLS` is 1023).
const BITS: u32 = 10;
const MASK: u64 = (1 << BITS) - 1;
const ADMITTED: u32 = 0;
const DONE: u32 = BITS;
const FAILED: u32 = 2 * BITS;
const SLOW: u32 = 3 * BITS;
/// The low 24 bits of the generation fill the rest of the word. A probe would have to stay
/// in flight across 2^24 state changes of its breaker to be mistaken for a current one.
const TAG: u32 = 4 * BITS;
/// The bits below the tag: the counters.
const COUNTERS: u64 = (1 << TAG) - 1;

pub(crate) struct Probes {
    word: AtomicU64,
}

/// The answer to a would-be probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Admitted,
    /// Every probe slot is taken.
    Full,
    /// The breaker has left the half-open period that the caller saw.
    Stale,
}

/// The probes of a finished half-open period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finished {
    pub(crate) failed: u32,
    pub(crate) slow: u32,
}

impl Probes {
    pub(crate) fn new() -> Self {
        Probes {
            word: AtomicU64::new(0),
        }
    }

    /// Starts counting for the half-open period of `generation`. Called under the
    /// breaker's transition lock, before the state that makes it visible is published.
    pub(crate) fn reset(&self, generation: u32) {
        self.word.store(tag(generation), Ordering::Relaxed);
    }

    /// Takes a probe slot if one of `limit` is free.
    pub(crate) fn admit(&self, generation: u32, limit: u32) -> Admission {
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            if word & !COUNTERS != tag(generation) {
                return Admission::Stale;
            }
            if field(word, ADMITTED) >= u64::from(limit) {
                return Admission::Full;
            }
            let next = word + (1 << ADMITTED);
            match self
                .word
                .compare_exchange_weak(word, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Admission::Admitted,
                Err(seen) => word = seen,
            }
        }
    }

    /// Gives back the slot of a probe that ended without an outcome, so that another probe
    /// can take it.
    pub(crate) fn release(&self, generation: u32) {
        self.update(generation, |word| {
            // A probe in flight holds a slot that is admitted and not done.
            (field(word, ADMITTED) > field(word, DONE)).then(|| word - (1 << ADMITTED))
        });
    }

    /// Counts a probe's outcome; when it is the last of `limit`, returns the probes' tally
    /// for the verdict. Exactly one probe per half-open period gets `Some`.
    pub(crate) fn finish(&self, generation: u32, mark: Mark, limit: u32) -> Option<Finished> {
        let done = self.update(generation, |word| {
            if field(word, DONE) >= field(word, ADMITTED) {
                return None;
            }
            let add = (1 << DONE) | u64::from(mark.failed) << FAILED | u64::from(mark.slow) << SLOW;
            Some(word + add)
        })?;
        (field(done, DONE) == u64::from(limit)).then(|| Finished {
            failed: field(done, FAILED) as u32,
            slow: field(done, SLOW) as u32,
        })
    }

    /// Applies `change` to the word while it counts for `generation`; returns the new word,
    /// or `None` when the word belongs to another period or `change` declined.
    fn update(&self, generation: u32, change: impl Fn(u64) -> Option<u64>) -> Option<u64> {
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            if word & !COUNTERS != tag(generation) {
                return None;
            }
            let next = change(word)?;
            match self
                .word
                .compare_exchange_weak(word, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(next),
                Err(seen) => word = seen,
            }
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn admitted(&self) -> u64 {
        field(self.word.load(Ordering::Acquire), ADMITTED)
    }
}

fn tag(generation: u32) -> u64 {
    u64::from(generation & 0x00ff_ffff) << TAG
}

fn field(word: u64, shift: u32) -> u64 {
    (word >> shift) & MASK
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_decides_on_the_last() {
        let probes = Probes::new();
        probes.reset(7);
        assert_eq!(probes.admit(7, 2), Admission::Admitted);
        assert_eq!(probes.admit(7, 2), Admission::Admitted);
        assert_eq!(probes.admit(7, 2), Admission::Full);
        assert_eq!(probes.finish(7, Mark::SLOW_FAIL, 2), None);
        assert_eq!(
            probes.finish(7, Mark::OK, 2),
            Some(Finished { failed: 1, slow: 1 })
        );
    }

    #[test]
    fn a_released_slot_can_be_taken_again() {
        let probes = Probes::new();
        probes.reset(3);
        assert_eq!(probes.admit(3, 1), Admission::Admitted);
        probes.release(3);
        assert_eq!(probes.admitted(), 0);
        assert_eq!(probes.admit(3, 1), Admission::Admitted);
        assert_eq!(
            probes.finish(3, Mark::OK, 1),
            Some(Finished { failed: 0, slow: 0 })
        );
        // A finished probe keeps its slot: nothing more is admitted in this period.
        probes.release(3);
        assert_eq!(probes.admit(3, 1), Admission::Full);
    }

    #[test]
    fn probes_of_another_period_change_nothing() {
        let probes = Probes::new();
        probes.reset(5);
        assert_eq!(probes.admit(5, 1), Admission::Admitted);
        probes.reset(9);
        assert_eq!(probes.admit(5, 1), Admission::Stale);
        assert_eq!(probes.finish(5, Mark::SLOW_FAIL, 1), None);
        probes.release(5);
        assert_eq!(probes.admit(9, 1), Admission::Admitted);
        assert_eq!(
            probes.finish(9, Mark::OK, 1),
            Some(Finished { failed: 0, slow: 0 })
        );
    }

    #[test]
    fn the_largest_probe_count_fits() {
        let probes = Probes::new();
        let limit = crate::BreakerConfig::MAX_HALF_OPEN_CALLS;
        probes.reset(u32::MAX);
        for _ in 0..limit {
            assert_eq!(probes.admit(u32::MAX, limit), Admission::Admitted);
        }
        assert_eq!(probes.admit(u32::MAX, limit), Admission::Full);
        for _ in 1..limit {
            assert_eq!(probes.finish(u32::MAX, Mark::SLOW_FAIL, limit), None);
        }
        assert_eq!(
            probes.finish(u32::MAX, Mark::SLOW_FAIL, limit),
            Some(Finished {
                failed: limit,
                slow: limit
            })
        );
    }
}
