//! Where the drivers read the time and how they wait.

use std::future::Future;
use std::time::{Duration, Instant};

/// The clock of the blocking driver: a monotonic `now` and a blocking sleep.
///
/// Tests substitute a fake clock that advances when asked to sleep, so that schedules are
/// checked without waiting.
pub trait Clock {
    /// The current instant on a monotonic clock.
    fn now(&self) -> Instant;
    /// Blocks the current thread for `delay`.
    fn sleep(&self, delay: Duration);
}

/// The timer of the async driver: a monotonic `now` and a sleep future.
///
/// Implement it to run retries on an executor other than tokio.
pub trait Timer {
    /// The future returned by [`sleep`](Self::sleep).
    type Sleep: Future<Output = ()>;
    /// The current instant, on the same clock that [`sleep`](Self::sleep) waits on.
    fn now(&self) -> Instant;
    /// A future that completes after `delay`.
    fn sleep(&self, delay: Duration) -> Self::Sleep;
}

/// The standard clocks: [`std::thread::sleep`] for blocking calls and, with the `tokio`
/// feature, tokio's timer for async ones.
///
/// Under tokio, `now` and `sleep` both go through tokio's clock, so a test with a paused
/// clock (`#[tokio::test(start_paused = true)]`) runs instantly and sees exact schedules.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultClock;

impl Clock for DefaultClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn sleep(&self, delay: Duration) {
        (**self).sleep(delay);
    }
}

#[cfg(feature = "tokio")]
impl Timer for DefaultClock {
    type Sleep = tokio::time::Sleep;

    #[inline]
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        tokio::time::sleep(delay)
    }
}

impl<T: Timer + ?Sized> Timer for &T {
    type Sleep = T::Sleep;

    fn now(&self) -> Instant {
        (**self).now()
    }

    fn sleep(&self, delay: Duration) -> Self::Sleep {
        (**self).sleep(delay)
    }
}
