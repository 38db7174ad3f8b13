//! The time window: the calls of the last `D`, summed per bucket of time.
//!
//! Buckets are indexed by their epoch (the bucket-sized slice of time since the breaker's
//! base instant), in a ring as long as the window. Moving to a later epoch empties the
//! buckets that fall out; a running total keeps a verdict O(1). The buckets sit behind a
//! lock, held for a few additions.

use std::time::Duration;

use super::{Mark, Tally};
use crate::Window;
use crate::sync::{Mutex, lock};

const SECOND: u64 = 1_000_000_000;
/// Windows shorter than ten seconds are split in tenths.
const MIN_BUCKETS: u64 = 10;

pub(crate) struct TimeWindow {
    /// The length of one bucket, in nanoseconds; at least 1.
    width: i64,
    ring: Mutex<Ring>,
}

struct Ring {
    buckets: Box<[Bucket]>,
    /// The latest epoch seen.
    head: i64,
    /// The sum of the buckets.
    total: Tally,
}

#[derive(Clone, Copy)]
struct Bucket {
    epoch: i64,
    tally: Tally,
}

const EMPTY: Bucket = Bucket {
    epoch: i64::MIN,
    tally: Tally::ZERO,
};

impl TimeWindow {
    /// A window over `span`, which is longer than zero (checked by the config).
    pub(crate) fn new(span: Duration) -> Self {
        let nanos = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX).max(1);
        let buckets = nanos
            .div_ceil(SECOND)
            .clamp(MIN_BUCKETS, u64::from(Window::MAX_BUCKETS))
            .min(nanos);
        let width = i64::try_from(nanos / buckets).unwrap_or(i64::MAX).max(1);
        TimeWindow {
            width,
            ring: Mutex::new(Ring {
                buckets: vec![EMPTY; buckets as usize].into_boxed_slice(),
                head: i64::MIN,
                total: Tally::ZERO,
            }),
        }
    }

    /// Records one outcome at `at` (nanoseconds since the breaker's base instant) and
    /// returns the counts that include it.
    pub(crate) fn record(&self, at: i64, mark: Mark) -> Tally {
        let epoch = at.div_euclid(self.width);
        let mut ring = lock(&self.ring);
        ring.advance(epoch);
        let len = ring.buckets.len() as i64;
        // An instant from a thread that read the clock long before it recorded may be
        // older than the whole window: it no longer counts.
        if epoch <= ring.head.saturating_sub(len) {
            return ring.total;
        }

        let index = epoch.rem_euclid(len) as usize;
        let bucket = ring.buckets[index];
        if bucket.epoch != epoch {
            ring.total = ring.total.minus(bucket.tally);
            ring.buckets[index] = Bucket {
                epoch,
                tally: Tally::ZERO,
            };
        }
        let one = Tally::of(mark);
        ring.buckets[index].tally = ring.buckets[index].tally.plus(one);
        ring.total = ring.total.plus(one);
        ring.total
    }

    /// The counts of the window as of `at`.
    pub(crate) fn tally(&self, at: i64) -> Tally {
        let mut ring = lock(&self.ring);
        ring.advance(at.div_euclid(self.width));
        ring.total
    }

    /// Empties every bucket.
    pub(crate) fn clear(&self) {
        let mut ring = lock(&self.ring);
        ring.buckets.fill(EMPTY);
        ring.total = Tally::ZERO;
    }

    #[cfg(all(test, not(loom)))]
    fn shape(&self) -> (usize, i64) {
        (lock(&self.ring).buckets.len(), self.width)
    }
}

impl Ring {
    /// Moves the head to `epoch` when it is later, emptying the buckets that fall out.
    fn advance(&mut self, epoch: i64) {
        if epoch <= self.head {
            return;
        }
        let len = self.buckets.len() as i64;
        if epoch.saturating_sub(self.head) >= len {
            self.buckets.fill(EMPTY);
            self.total = Tally::ZERO;
        } else {
            for passed in self.head + 1..=epoch {
                let index = passed.rem_euclid(len) as usize;
                self.total = self.total.minus(self.buckets[index].tally);
                self.buckets[index] = EMPTY;
            }
        }
        self.head = epoch;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn buckets_are_a_second_or_finer() {
        let shape = |span| TimeWindow::new(span).shape();
        assert_eq!(shape(Duration::from_secs(60)), (60, 1_000 * MS));
        assert_eq!(shape(Duration::from_millis(12_500)), (13, 12_500 * MS / 13));
        assert_eq!(shape(Duration::from_secs(2)), (10, 200 * MS));
        assert_eq!(shape(Duration::from_nanos(3)), (3, 1));
        // Past an hour the bucket count stops growing and buckets get longer.
        assert_eq!(shape(Duration::from_secs(7_200)), (3_600, 2_000 * MS));
    }

    #[test]
    fn old_buckets_leave_the_window() {
        // 1 s in ten buckets of 100 ms.
        let window = TimeWindow::new(Duration::from_secs(1));
        window.record(0, Mark::FAIL);
        window.record(50 * MS, Mark::FAIL);
        window.record(450 * MS, Mark::OK);
        assert_eq!(window.tally(999 * MS).calls, 3);
        // At 1 s the first bucket (0..100 ms) is out, the one from 400 ms is still in.
        let at_one_second = window.tally(1_000 * MS);
        assert_eq!((at_one_second.calls, at_one_second.failures), (1, 0));
        assert_eq!(window.tally(1_400 * MS).calls, 0);
        // Far in the future, everything has gone at once.
        window.record(1_500 * MS, Mark::FAIL);
        assert_eq!(window.tally(3_600_000 * MS).calls, 0);
    }

    #[test]
    fn a_late_instant_counts_in_its_own_bucket_or_not_at_all() {
        let window = TimeWindow::new(Duration::from_secs(1));
        window.record(2_000 * MS, Mark::OK);
        // 300 ms behind the head: still inside the window.
        assert_eq!(window.record(1_700 * MS, Mark::FAIL).calls, 2);
        // More than a window behind the head: dropped.
        assert_eq!(window.record(500 * MS, Mark::FAIL).calls, 2);
        // The late failure leaves with its own bucket.
        assert_eq!(window.tally(2_700 * MS).failures, 0);
        assert_eq!(window.tally(2_700 * MS).calls, 1);
    }

    #[test]
    fn instants_before_the_base_work() {
        let window = TimeWindow::new(Duration::from_secs(1));
        window.record(-250 * MS, Mark::FAIL);
        assert_eq!(window.tally(0).failures, 1);
        window.clear();
        assert_eq!(window.tally(0), Tally::ZERO);
    }
}
