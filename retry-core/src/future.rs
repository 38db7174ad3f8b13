//! The async driver: a named future that runs attempts, times them out and sleeps between
//! them, without boxing or allocating.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project::pin_project;

use crate::blocking::decide;
use crate::hooks::{Classifier, OnRetry};
use crate::{Retry, RetryState, TimedOut, Timer};

impl<'p, C, H, K> Retry<'p, C, H, K> {
    /// Runs the future that `op` makes until one succeeds or the policy gives up, sleeping
    /// on the timer in between; resolves to the first success or the last error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_core::{Backoff, Jitter, Retry, RetryPolicy};
    ///
    /// const POLICY: RetryPolicy = RetryPolicy::new()
    ///     .with_backoff(Backoff::constant(Duration::from_secs(1)))
    ///     .with_jitter(Jitter::None);
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut failures = 2;
    /// let started = tokio::time::Instant::now();
    /// let result: std::io::Result<&str> = Retry::new(&POLICY)
    ///     .call_async(|| {
    ///         failures -= 1;
    ///         let fail = failures >= 0;
    ///         async move {
    ///             if fail { Err(std::io::ErrorKind::ConnectionReset.into()) } else { Ok("done") }
    ///         }
    ///     })
    ///     .await;
    /// assert_eq!(result.unwrap(), "done");
    /// // Two retries, one second apart, on tokio's paused clock.
    /// assert_eq!(started.elapsed(), Duration::from_secs(2));
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the running attempt or the pending sleep; nothing runs
    /// after that.
    pub fn call_async<F, Fut, T, E>(self, op: F) -> RetryFuture<'p, F, Fut, C, H, K, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: Classifier<E>,
        H: OnRetry<E>,
        K: Timer,
    {
        RetryFuture::new(self, op, None)
    }

    /// Like [`call_async`](Self::call_async), and an attempt still running after `limit`
    /// is dropped and fails with `E::from(TimedOut)`, which is then classified like any
    /// other error.
    pub fn call_async_with_timeout<F, Fut, T, E>(
        self,
        limit: Duration,
        op: F,
    ) -> RetryFuture<'p, F, Fut, C, H, K, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<TimedOut>,
        C: Classifier<E>,
        H: OnRetry<E>,
        K: Timer,
    {
        RetryFuture::new(self, op, Some((limit, E::from)))
    }
}

/// A per-attempt time limit and how an expired attempt becomes the call's error type.
type AttemptLimit<E> = (Duration, fn(TimedOut) -> E);

/// The future returned by [`Retry::call_async`].
#[pin_project]
#[must_use = "futures do nothing unless polled"]
pub struct RetryFuture<'p, F, Fut, C, H, K: Timer, E> {
    op: F,
    classifier: C,
    hook: H,
    timer: K,
    state: RetryState<'p>,
    timeout: Option<AttemptLimit<E>>,
    #[pin]
    stage: Stage<Fut, K::Sleep>,
}

#[pin_project(project = StageProj)]
enum Stage<Fut, S> {
    /// The next attempt has not been started.
    Ready,
    Running {
        #[pin]
        attempt: Fut,
        #[pin]
        deadline: Option<S>,
    },
    Sleeping {
        #[pin]
        sleep: S,
    },
    /// The result has been returned.
    Done,
}

impl<'p, F, Fut, C, H, K: Timer, E> RetryFuture<'p, F, Fut, C, H, K, E> {
    fn new(retry: Retry<'p, C, H, K>, op: F, timeout: Option<AttemptLimit<E>>) -> Self {
        RetryFuture {
            op,
            classifier: retry.classifier,
            hook: retry.hook,
            timer: retry.clock,
            state: RetryState::new(retry.policy, None),
            timeout,
            stage: Stage::Ready,
        }
    }
}

impl<F, Fut, C, H, K, T, E> Future for RetryFuture<'_, F, Fut, C, H, K, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classifier<E>,
    H: OnRetry<E>,
    K: Timer,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.stage.as_mut().project() {
                StageProj::Ready => {
                    if this.state.attempt() == 1
                        && (RetryState::needs_start(this.state.policy()) || H::READS_ELAPSED)
                    {
                        *this.state = RetryState::new(this.state.policy(), Some(this.timer.now()));
                    }
                    let attempt = (this.op)();
                    let deadline = this.timeout.map(|(limit, _)| this.timer.sleep(limit));
                    this.stage.set(Stage::Running { attempt, deadline });
                }
                StageProj::Running { attempt, deadline } => {
                    let result = match attempt.poll(cx) {
                        Poll::Ready(result) => result,
                        Poll::Pending => match (deadline.as_pin_mut(), *this.timeout) {
                            (Some(deadline), Some((limit, expire))) => {
                                ready!(deadline.poll(cx));
                                Err(expire(TimedOut { limit }))
                            }
                            _ => return Poll::Pending,
                        },
                    };
                    let error = match result {
                        Ok(value) => {
                            this.stage.set(Stage::Done);
                            return Poll::Ready(Ok(value));
                        }
                        Err(error) => error,
                    };
                    let timer = &*this.timer;
                    match decide(this.state, &error, &*this.classifier, &*this.hook, || {
                        timer.now()
                    }) {
                        // The timer rounds a zero sleep up to its resolution: skip it.
                        Some(next) if next.next_delay.is_zero() => this.stage.set(Stage::Ready),
                        Some(next) => {
                            let sleep = this.timer.sleep(next.next_delay);
                            this.stage.set(Stage::Sleeping { sleep });
                        }
                        None => {
                            this.stage.set(Stage::Done);
                            return Poll::Ready(Err(error));
                        }
                    }
                }
                StageProj::Sleeping { sleep } => {
                    ready!(sleep.poll(cx));
                    this.stage.set(Stage::Ready);
                }
                // Polled after completion: stay pending rather than run the call again.
                StageProj::Done => return Poll::Pending,
            }
        }
    }
}

/// A future bounded in time: resolves to its output, or to `Err(TimedOut)` once `limit`
/// has passed on the timer. Used for the per-attempt `timeout`.
///
/// The timer is armed lazily: a future that completes on its first poll never touches it.
#[pin_project]
#[must_use = "futures do nothing unless polled"]
pub struct Timeout<Fut, K: Timer> {
    #[pin]
    future: Fut,
    #[pin]
    deadline: Option<K::Sleep>,
    timer: K,
    limit: Duration,
}

impl<Fut, K: Timer> Timeout<Fut, K> {
    /// Bounds `future` to `limit` on `timer`.
    pub fn new(future: Fut, limit: Duration, timer: K) -> Self {
        Timeout {
            future,
            deadline: None,
            timer,
            limit,
        }
    }
}

impl<Fut: Future, K: Timer> Future for Timeout<Fut, K> {
    type Output = Result<Fut::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if this.deadline.is_none() {
            this.deadline.set(Some(this.timer.sleep(*this.limit)));
        }
        match this.deadline.as_pin_mut() {
            Some(deadline) => {
                ready!(deadline.poll(cx));
                Poll::Ready(Err(TimedOut { limit: *this.limit }))
            }
            None => Poll::Pending,
        }
    }
}
