//! The decision taken after each failed attempt, shared by every driver.

use std::time::{Duration, Instant};

use crate::jitter::with_thread_rng;
use crate::{Classification, Jitter, RetryPolicy};

/// Where a call stands when it is about to sleep before its next attempt; handed to
/// `on_retry` hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptState {
    /// The number of the attempt that just failed; the first attempt is 1.
    pub attempt: u32,
    /// How long the call sleeps before the next attempt.
    pub next_delay: Duration,
    /// Time since the call started. The clock is read only when something measures it:
    /// with a deadline or an `on_retry` hook it is exact; otherwise it is zero.
    pub elapsed: Duration,
}

/// Why a call stopped retrying and returned its last error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GiveUp {
    /// The error was classified [`Classification::Permanent`].
    Permanent,
    /// Every attempt that the policy allows has been made.
    Exhausted,
    /// The next delay would cross the policy's `max_elapsed` deadline.
    Deadline,
    /// The server asked for a wait longer than the policy's `max_retry_after`.
    RetryAfterTooLong,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep `state.next_delay`, then make the next attempt.
    Retry(AttemptState),
    /// Return the error to the caller.
    GiveUp(GiveUp),
}

/// The bookkeeping of one call: attempts made, when it started, the previous delay.
///
/// Every driver, and every function that `#[retry]` rewrites, runs the same loop: make an
/// attempt, and on an error ask [`on_error`](Self::on_error) whether and how long to wait.
///
/// # Examples
///
/// A retry loop written by hand, with a fake clock:
///
/// ```
/// use std::time::{Duration, Instant};
/// use retry_core::{Backoff, Classification, Decision, GiveUp, Jitter, RetryPolicy, RetryState};
///
/// const POLICY: RetryPolicy = RetryPolicy::new()
///     .with_backoff(Backoff::constant(Duration::from_millis(10)))
///     .with_jitter(Jitter::None);
///
/// let now = Instant::now();
/// let mut state = RetryState::new(&POLICY, None);
/// let Decision::Retry(next) = state.on_error(Classification::Transient, || now) else {
///     unreachable!()
/// };
/// assert_eq!((next.attempt, next.next_delay), (1, Duration::from_millis(10)));
/// assert!(matches!(state.on_error(Classification::Transient, || now), Decision::Retry(_)));
/// assert_eq!(
///     state.on_error(Classification::Transient, || now),
///     Decision::GiveUp(GiveUp::Exhausted),
/// );
/// ```
#[derive(Debug, Clone)]
pub struct RetryState<'p> {
    policy: &'p RetryPolicy,
    failed: u32,
    started: Option<Instant>,
    previous: Duration,
}

impl<'p> RetryState<'p> {
    /// A call that has made no attempt yet.
    ///
    /// `started` is when the call started, or `None` not to read the clock at all on the
    /// happy path. Pass it when the policy [`needs_start`](Self::needs_start) (a deadline is
    /// counted from the first failure otherwise) or when something reads
    /// [`AttemptState::elapsed`], which stays zero without it.
    #[inline]
    #[must_use]
    pub const fn new(policy: &'p RetryPolicy, started: Option<Instant>) -> Self {
        RetryState {
            policy,
            failed: 0,
            started,
            previous: policy.backoff().initial(),
        }
    }

    /// Whether the start of the call must be read from the clock before the first attempt:
    /// true when the policy has a deadline.
    #[inline]
    #[must_use]
    pub const fn needs_start(policy: &RetryPolicy) -> bool {
        policy.max_elapsed().is_some()
    }

    /// The policy in force.
    #[must_use]
    pub const fn policy(&self) -> &'p RetryPolicy {
        self.policy
    }

    /// The number of the attempt now running (or about to run); the first is 1.
    #[inline]
    #[must_use]
    pub const fn attempt(&self) -> u32 {
        self.failed.saturating_add(1)
    }

    /// Records a failed attempt whose error was classified as `class`, and decides whether
    /// to retry and after how long. `now` is read at most once, and only when the call has
    /// a deadline or a start time.
    pub fn on_error(&mut self, class: Classification, now: impl FnOnce() -> Instant) -> Decision {
        self.failed = self.failed.saturating_add(1);
        let floor = match class {
            Classification::Permanent => return Decision::GiveUp(GiveUp::Permanent),
            Classification::Transient => Duration::ZERO,
            Classification::RetryAfter(wait) if wait > self.policy.max_retry_after() => {
                return Decision::GiveUp(GiveUp::RetryAfterTooLong);
            }
            Classification::RetryAfter(wait) => wait,
        };
        if self.failed >= self.policy.attempts() {
            return Decision::GiveUp(GiveUp::Exhausted);
        }

        let backoff = self.policy.backoff();
        let base = backoff.delay(self.failed);
        // Without jitter there is nothing to draw: skip the thread-local generator.
        let jittered = match self.policy.jitter() {
            Jitter::None => base.min(backoff.max()),
            jitter => with_thread_rng(|rng| {
                jitter.apply(base, backoff.initial(), backoff.max(), self.previous, rng)
            }),
        };
        self.previous = jittered;
        // The server's wait is a floor: never less than it asked, never less than our own
        // backoff either.
        let delay = jittered.max(floor);

        // The clock is read only when something measures: a deadline, or a start time
        // taken because a hook wants the elapsed time.
        let deadline = self.policy.max_elapsed();
        let elapsed = match (self.started, deadline) {
            (None, None) => Duration::ZERO,
            (started, _) => {
                let now = now();
                let started = *self.started.get_or_insert(started.unwrap_or(now));
                now.saturating_duration_since(started)
            }
        };
        if let Some(deadline) = deadline {
            if elapsed.saturating_add(delay) > deadline {
                return Decision::GiveUp(GiveUp::Deadline);
            }
        }
        Decision::Retry(AttemptState {
            attempt: self.failed,
            next_delay: delay,
            elapsed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Backoff, Jitter};

    const MS: Duration = Duration::from_millis(1);

    const NO_JITTER: RetryPolicy = RetryPolicy::new()
        .with_attempts(4)
        .with_backoff(Backoff::constant(Duration::from_millis(100)))
        .with_jitter(Jitter::None);

    fn retry_delay(decision: Decision) -> Duration {
        match decision {
            Decision::Retry(state) => state.next_delay,
            Decision::GiveUp(why) => panic!("gave up: {why:?}"),
        }
    }

    #[test]
    fn permanent_gives_up_at_once() {
        let mut state = RetryState::new(&NO_JITTER, None);
        let now = Instant::now();
        assert_eq!(
            state.on_error(Classification::Permanent, || now),
            Decision::GiveUp(GiveUp::Permanent)
        );
    }

    #[test]
    fn retry_after_is_a_floor_above_the_backoff() {
        let mut state = RetryState::new(&NO_JITTER, None);
        let now = Instant::now();
        let long = Classification::RetryAfter(MS * 250);
        assert_eq!(retry_delay(state.on_error(long, || now)), MS * 250);
        // A server wait shorter than our own backoff does not shorten it.
        let short = Classification::RetryAfter(MS * 5);
        assert_eq!(retry_delay(state.on_error(short, || now)), MS * 100);
    }

    #[test]
    fn retry_after_at_the_limit_is_honoured_and_past_it_gives_up() {
        let policy = NO_JITTER.with_max_retry_after(Duration::from_secs(60));
        let now = Instant::now();
        let at_limit = Classification::RetryAfter(Duration::from_secs(60));
        let mut state = RetryState::new(&policy, None);
        assert_eq!(
            retry_delay(state.on_error(at_limit, || now)),
            Duration::from_secs(60)
        );
        let past = Classification::RetryAfter(Duration::from_secs(60) + Duration::from_nanos(1));
        let mut state = RetryState::new(&policy, None);
        assert_eq!(
            state.on_error(past, || now),
            Decision::GiveUp(GiveUp::RetryAfterTooLong)
        );
    }

    #[test]
    fn a_delay_that_would_cross_the_deadline_gives_up_instead_of_sleeping() {
        let policy = NO_JITTER.with_max_elapsed(MS * 250);
        let start = Instant::now();
        let mut state = RetryState::new(&policy, Some(start));
        // 0 + 100 <= 250: retry.
        assert_eq!(
            retry_delay(state.on_error(Classification::Transient, || start)),
            MS * 100
        );
        // 150 + 100 = 250: exactly at the deadline is still allowed.
        let at = start + MS * 150;
        assert_eq!(
            retry_delay(state.on_error(Classification::Transient, || at)),
            MS * 100
        );
        // 151 + 100 > 250: give up now.
        let past = start + MS * 151;
        assert_eq!(
            state.on_error(Classification::Transient, || past),
            Decision::GiveUp(GiveUp::Deadline)
        );
    }

    #[test]
    fn a_retry_after_longer_than_the_time_left_gives_up() {
        let policy = NO_JITTER.with_max_elapsed(Duration::from_secs(1));
        let start = Instant::now();
        let mut state = RetryState::new(&policy, Some(start));
        let wait = Classification::RetryAfter(Duration::from_secs(2));
        assert_eq!(
            state.on_error(wait, || start),
            Decision::GiveUp(GiveUp::Deadline)
        );
    }

    #[test]
    fn attempts_count_the_first_one() {
        let mut state = RetryState::new(&NO_JITTER, None);
        let now = Instant::now();
        for attempt in 1..4 {
            assert_eq!(state.attempt(), attempt);
            assert!(matches!(
                state.on_error(Classification::Transient, || now),
                Decision::Retry(_)
            ));
        }
        assert_eq!(
            state.on_error(Classification::Transient, || now),
            Decision::GiveUp(GiveUp::Exhausted)
        );
    }

    #[test]
    fn a_single_attempt_never_retries() {
        let policy = NO_JITTER.with_attempts(1);
        let mut state = RetryState::new(&policy, None);
        assert_eq!(
            state.on_error(Classification::Transient, Instant::now),
            Decision::GiveUp(GiveUp::Exhausted)
        );
    }

    #[test]
    fn without_a_deadline_or_start_time_the_clock_is_never_read() {
        let mut state = RetryState::new(&NO_JITTER, None);
        let never = || -> Instant { panic!("the clock was read") };
        match state.on_error(Classification::Transient, never) {
            Decision::Retry(next) => assert_eq!(next.elapsed, Duration::ZERO),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn elapsed_counts_from_the_start_when_given() {
        let start = Instant::now();
        let mut state = RetryState::new(&NO_JITTER, Some(start));
        match state.on_error(Classification::Transient, || start + MS * 30) {
            Decision::Retry(s) => assert_eq!((s.attempt, s.elapsed), (1, MS * 30)),
            other => panic!("{other:?}"),
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_policy() -> impl Strategy<Value = RetryPolicy> {
            let nanos = 0u64..=u64::MAX;
            let jitter = prop::sample::select(vec![
                Jitter::None,
                Jitter::Full,
                Jitter::Equal,
                Jitter::Decorrelated,
            ]);
            (
                nanos.clone(),
                1.0f64..64.0,
                nanos.clone(),
                jitter,
                1u32..=u32::MAX,
                nanos,
            )
                .prop_map(|(initial, factor, cap, jitter, attempts, retry_after)| {
                    let initial = Duration::from_nanos(initial.max(1));
                    let max = Duration::from_nanos(cap).max(initial);
                    let backoff = Backoff::exponential(initial, factor, max).unwrap();
                    RetryPolicy::new()
                        .with_attempts(attempts)
                        .with_backoff(backoff)
                        .with_jitter(jitter)
                        .with_max_retry_after(Duration::from_nanos(retry_after))
                })
        }

        proptest! {
            #[test]
            fn transient_delays_never_exceed_the_cap(
                policy in any_policy(),
                failures in 1usize..64,
            ) {
                let now = Instant::now();
                let mut state = RetryState::new(&policy, None);
                for _ in 0..failures {
                    match state.on_error(Classification::Transient, || now) {
                        Decision::Retry(next) => {
                            prop_assert!(next.next_delay <= policy.backoff().max());
                        }
                        Decision::GiveUp(why) => {
                            prop_assert_eq!(why, GiveUp::Exhausted);
                            break;
                        }
                    }
                }
            }

            #[test]
            fn retry_after_is_never_shortened(
                policy in any_policy(),
                wait in 0u64..=u64::MAX,
            ) {
                let wait = Duration::from_nanos(wait);
                let now = Instant::now();
                let mut state = RetryState::new(&policy, None);
                match state.on_error(Classification::RetryAfter(wait), || now) {
                    Decision::Retry(next) => prop_assert!(next.next_delay >= wait),
                    Decision::GiveUp(GiveUp::RetryAfterTooLong) => {
                        prop_assert!(wait > policy.max_retry_after());
                    }
                    Decision::GiveUp(why) => {
                        prop_assert_eq!(why, GiveUp::Exhausted);
                        prop_assert_eq!(policy.attempts(), 1);
                    }
                }
            }

            #[test]
            fn attempt_counts_saturate_instead_of_overflowing(policy in any_policy()) {
                let mut state = RetryState::new(&policy, None);
                state.failed = u32::MAX - 1;
                let now = Instant::now();
                let _ = state.on_error(Classification::Transient, || now);
                let _ = state.on_error(Classification::Transient, || now);
                prop_assert_eq!(state.attempt(), u32::MAX);
            }
        }
    }
}
