//! The count window: the outcomes of the last `N` calls in a ring, recorded without a lock.
//!
//! Each slot holds one outcome as a few bits; three counters (calls, failures, slow calls)
//! are packed into one `u64` so that a verdict reads them in a single load. Recording is
//! three atomic steps: count the new outcome, swap it into the next slot, and uncount the
//! outcome it pushed out. Counting *before* the swap is what keeps every counter from ever
//! going below zero: an outcome can only be uncounted by the thread that later swaps it out
//! of its slot, and that swap happens after it was counted.
//!
//! An outcome equal to the one already in its slot is not written at all: the window and
//! its counts would be the same after the three steps as before them. Once a ring is full
//! of successes, a call of a healthy service writes nothing but the `next` counter, so
//! threads sharing the breaker no longer fight over the counters' cache line. Skipping is
//! the same as writing at the instant of the load that saw the equal outcome: whatever is
//! swapped into the slot later pushes out an outcome equal to this one, and uncounts it.

use super::{Mark, Tally};
use crate::sync::{AtomicU8, AtomicU64, Ordering};

/// A slot that holds an outcome (an empty slot is 0).
const CALL: u8 = 1;
const FAILED: u8 = 2;
const SLOW: u8 = 4;

/// Each counter takes 21 bits: a window holds at most 2^20 calls (`Window::MAX_COUNT`), and
/// the other half of the range takes the outcomes counted but not yet swapped into a slot.
const FIELD_BITS: u32 = 21;
const FIELD_MASK: u64 = (1 << FIELD_BITS) - 1;

pub(crate) struct CountWindow {
    slots: Box<[AtomicU8]>,
    /// The number of outcomes ever recorded; the next slot is this modulo the size.
    next: AtomicU64,
    /// Calls, failures and slow calls, packed by [`pack`].
    counts: AtomicU64,
}

impl CountWindow {
    /// A window of the last `size` calls; `size` is at least 1 (checked by the config).
    pub(crate) fn new(size: u32) -> Self {
        CountWindow {
            slots: (0..size.max(1)).map(|_| AtomicU8::new(0)).collect(),
            next: AtomicU64::new(0),
            counts: AtomicU64::new(0),
        }
    }

    /// Records one outcome and returns the counts that include it.
    pub(crate) fn record(&self, mark: Mark) -> Tally {
        let bits = encode(mark);

        // `next` only spreads the outcomes over the slots; wrapping after 2^64 calls merely
        // skips a few slots once.
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len() as u64;
        let slot = &self.slots[index as usize];
        if slot.load(Ordering::Relaxed) == bits {
            // The slot keeps an outcome equal to this one, counted by whoever wrote it.
            return self.tally();
        }

        let added = pack(bits);
        let before = self.counts.fetch_add(added, Ordering::Relaxed);
        // AcqRel: the thread that later swaps this outcome out must see it counted.
        let old = slot.swap(bits, Ordering::AcqRel);
        if old == 0 {
            return unpack(before.wrapping_add(added));
        }
        let before = self.counts.fetch_sub(pack(old), Ordering::Relaxed);
        unpack(before.wrapping_sub(pack(old)))
    }

    /// The counts now.
    pub(crate) fn tally(&self) -> Tally {
        unpack(self.counts.load(Ordering::Relaxed))
    }

    /// Empties every slot. Outcomes being recorded meanwhile are kept, consistently.
    pub(crate) fn clear(&self) {
        for slot in self.slots.iter() {
            let old = slot.swap(0, Ordering::AcqRel);
            if old != 0 {
                self.counts.fetch_sub(pack(old), Ordering::Relaxed);
            }
        }
    }

    /// The counts recomputed from the slots, for tests that check nothing was lost.
    #[cfg(test)]
    pub(crate) fn recount(&self) -> Tally {
        self.slots.iter().fold(Tally::default(), |sum, slot| {
            let counted = unpack(pack(slot.load(Ordering::Relaxed)));
            Tally {
                calls: sum.calls + counted.calls,
                failures: sum.failures + counted.failures,
                slow: sum.slow + counted.slow,
            }
        })
    }
}

fn encode(mark: Mark) -> u8 {
    CALL | if mark.failed { FAILED } else { 0 } | if mark.slow { SLOW } else { 0 }
}

/// A slot's outcome as an amount to add to, or subtract from, the packed counters.
fn pack(bits: u8) -> u64 {
    let one = |flag: u8| u64::from(bits & flag != 0);
    one(CALL) | one(FAILED) << FIELD_BITS | one(SLOW) << (2 * FIELD_BITS)
}

fn unpack(counts: u64) -> Tally {
    Tally {
        calls: counts & FIELD_MASK,
        failures: (counts >> FIELD_BITS) & FIELD_MASK,
        slow: (counts >> (2 * FIELD_BITS)) & FIELD_MASK,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn tally(calls: u64, failures: u64, slow: u64) -> Tally {
        Tally {
            calls,
            failures,
            slow,
        }
    }

    #[test]
    fn keeps_only_the_last_n_outcomes() {
        let window = CountWindow::new(3);
        assert_eq!(window.record(Mark::FAIL), tally(1, 1, 0));
        assert_eq!(window.record(Mark::SLOW_FAIL), tally(2, 2, 1));
        assert_eq!(window.record(Mark::OK), tally(3, 2, 1));
        // The first failure leaves as the fourth call comes in.
        assert_eq!(window.record(Mark::OK), tally(3, 1, 1));
        assert_eq!(window.record(Mark::OK), tally(3, 0, 0));
        assert_eq!(window.tally(), window.recount());
    }

    #[test]
    fn runs_of_equal_outcomes_lap_the_ring_and_the_counts_follow_it() {
        // Runs of 7 failures and of 11 slow calls lap a ring of 5, so most writes are skipped
        // (the slot holds an equal outcome) and the rest replace a different one; after each
        // call the counts must be those of the last 5 outcomes.
        let window = CountWindow::new(5);
        let mut last = std::collections::VecDeque::new();
        for call in 0..200u32 {
            let mark = Mark {
                failed: call / 7 % 2 == 0,
                slow: call / 11 % 3 == 0,
            };
            last.push_back(mark);
            if last.len() > 5 {
                last.pop_front();
            }
            let want = last
                .iter()
                .fold(Tally::ZERO, |sum, &m| sum.plus(Tally::of(m)));
            assert_eq!(window.record(mark), want, "call {call}");
        }
        assert_eq!(window.tally(), window.recount());
    }

    #[test]
    fn clear_empties_the_slots_and_the_counts() {
        let window = CountWindow::new(4);
        for _ in 0..6 {
            window.record(Mark::SLOW_FAIL);
        }
        window.clear();
        assert_eq!(window.tally(), Tally::default());
        assert_eq!(window.record(Mark::OK), tally(1, 0, 0));
    }

    #[test]
    fn the_largest_window_counts_without_spilling_between_counters() {
        let window = CountWindow::new(crate::Window::MAX_COUNT);
        let full = u64::from(crate::Window::MAX_COUNT);
        for _ in 0..full {
            window.record(Mark::SLOW_FAIL);
        }
        assert_eq!(window.tally(), tally(full, full, full));
        assert_eq!(window.record(Mark::OK), tally(full, full - 1, full - 1));
    }

    #[test]
    fn threads_that_lap_the_ring_lose_no_update() {
        // Eight threads on a ring of 16 slots: every slot is fought over, and the counters
        // must still match the slots exactly once the threads are done.
        let window = CountWindow::new(16);
        std::thread::scope(|scope| {
            for thread in 0..8u64 {
                let window = &window;
                scope.spawn(move || {
                    for call in 0..2_000u64 {
                        let mark = Mark {
                            failed: (call + thread) % 3 == 0,
                            slow: call % 5 == 0,
                        };
                        let seen = window.record(mark);
                        // A snapshot may include outcomes still being recorded, never more
                        // failures than calls, and never a counter that wrapped below zero.
                        assert!(seen.failures <= seen.calls && seen.slow <= seen.calls);
                        assert!(seen.calls <= 16 + 8, "{seen:?}");
                    }
                });
            }
        });
        assert_eq!(window.tally().calls, 16);
        assert_eq!(window.tally(), window.recount());
    }
}

/// The ring's atomics under loom (see `src/loom_tests.rs` for the command): threads
/// fighting over one slot never lose or double-count an outcome, whether they write it or
/// skip an equal one, and whether or not a clear runs meanwhile.
#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use super::*;

    /// A ring of one slot that already holds a success.
    fn holding_a_success() -> Arc<CountWindow> {
        let window = CountWindow::new(1);
        window.record(Mark::OK);
        Arc::new(window)
    }

    /// Records each of `marks` from a thread of its own into a ring of one slot: every
    /// snapshot holds the slot plus at most one outcome on its way in or out, and once the
    /// threads are done the counts match the slot exactly.
    fn race(window: Arc<CountWindow>, marks: [Mark; 2]) {
        let threads: Vec<_> = marks
            .into_iter()
            .map(|mark| {
                let window = Arc::clone(&window);
                loom::thread::spawn(move || {
                    let seen = window.record(mark);
                    assert!(seen.calls >= 1 && seen.calls <= 2, "{seen:?}");
                    assert!(seen.failures <= seen.calls);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(window.tally(), window.recount());
        assert_eq!(window.tally().calls, 1);
    }

    #[test]
    fn loom_two_threads_on_one_slot_keep_the_counts_exact() {
        loom::model(|| race(Arc::new(CountWindow::new(1)), [Mark::FAIL, Mark::OK]));
    }

    #[test]
    fn loom_a_skipped_equal_outcome_and_a_different_one_keep_the_counts_exact() {
        // The success may skip its write (it sees the old success) or make it (it comes
        // after the failure); either way the slot and the counts agree at every step.
        loom::model(|| race(holding_a_success(), [Mark::OK, Mark::FAIL]));
    }

    #[test]
    fn loom_a_clear_racing_a_skipped_outcome_keeps_the_counts_exact() {
        loom::model(|| {
            let window = holding_a_success();
            let recording = {
                let window = Arc::clone(&window);
                loom::thread::spawn(move || window.record(Mark::OK))
            };
            window.clear();
            let seen = recording.join().unwrap();
            // The clear may not have uncounted the old success yet when the new one counts.
            assert!(seen.calls <= 2 && seen.failures == 0, "{seen:?}");
            // The success is kept if it was written after the clear, and gone otherwise.
            assert_eq!(window.tally(), window.recount());
            assert!(window.tally().calls <= 1);
        });
    }
}
