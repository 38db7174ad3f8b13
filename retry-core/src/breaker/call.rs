//! Running a blocking closure or a future through a breaker, for code that does not use the
//! attribute.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project::pin_project;

use super::{CircuitBreaker, Permit};
use crate::{ByRetryable, CircuitOpen, Classifier, Retryable};

impl CircuitBreaker {
    /// Runs `op` if the breaker admits the call and records how it went; errors are
    /// classified by their [`Retryable`] impl (see [`Outcome`](super::Outcome) for what
    /// counts). A rejected call does not run `op` and returns `E::from(CircuitOpen)`.
    ///
    /// If `op` panics, the call counts as a failure and the panic goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use retry_core::{BreakerConfig, CircuitBreaker, Window};
    ///
    /// let config = BreakerConfig::new().with_window(Window::Count(2)).with_min_calls(2);
    /// let breaker = CircuitBreaker::new("disk", config).unwrap();
    /// let read = || -> io::Result<u32> { Err(io::ErrorKind::TimedOut.into()) };
    ///
    /// assert!(breaker.call(read).is_err());
    /// assert!(breaker.call(read).is_err());
    /// // Open now: the closure does not run, the error says why.
    /// let err = breaker.call(|| -> io::Result<u32> { unreachable!() }).unwrap_err();
    /// assert!(err.to_string().starts_with("circuit breaker `disk` is open"));
    /// ```
    pub fn call<T, E, F>(&self, op: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<CircuitOpen> + Retryable,
    {
        self.call_with(ByRetryable, op)
    }

    /// Like [`call`](Self::call), with errors classified by `classifier`: a
    /// `Fn(&E) -> Classification`, [`When`](crate::When) for a yes/no predicate (`true`
    /// counts as a failure), or [`ByRetryable`].
    pub fn call_with<T, E, C, F>(&self, classifier: C, op: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<CircuitOpen>,
        C: Classifier<E>,
    {
        let permit = self.try_acquire()?;
        let result = op();
        permit.record_result(&result, &classifier);
        result
    }

    /// A future that runs `future` if the breaker admits the call and records how it went;
    /// errors are classified by their [`Retryable`] impl. The breaker is asked on the first
    /// poll, not now; a rejected call never polls `future` and resolves to
    /// `E::from(CircuitOpen)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use retry_core::{BreakerConfig, CircuitBreaker};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let breaker = CircuitBreaker::new("api", BreakerConfig::new()).unwrap();
    /// let answer = breaker.call_async(async { io::Result::Ok(42) }).await;
    /// assert_eq!(answer.unwrap(), 42);
    /// assert_eq!(breaker.metrics().calls, 1);
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it resolves drops `future` and records nothing: a
    /// half-open breaker gets the probe slot back.
    pub fn call_async<Fut, T, E>(&self, future: Fut) -> BreakerFuture<'_, Fut, ByRetryable>
    where
        Fut: Future<Output = Result<T, E>>,
        E: From<CircuitOpen> + Retryable,
    {
        self.call_async_with(ByRetryable, future)
    }

    /// Like [`call_async`](Self::call_async), with errors classified by `classifier`.
    pub fn call_async_with<Fut, T, E, C>(
        &self,
        classifier: C,
        future: Fut,
    ) -> BreakerFuture<'_, Fut, C>
    where
        Fut: Future<Output = Result<T, E>>,
        E: From<CircuitOpen>,
        C: Classifier<E>,
    {
        BreakerFuture {
            breaker: self,
            classifier,
            stage: Stage::Waiting,
            future,
        }
    }
}

/// The future returned by [`CircuitBreaker::call_async`].
#[pin_project]
#[must_use = "futures do nothing unless polled"]
pub struct BreakerFuture<'b, Fut, C> {
    breaker: &'b CircuitBreaker,
    classifier: C,
    stage: Stage<'b>,
    /// Stays in place from start to end; polled only while `stage` is `Running`.
    #[pin]
    future: Fut,
}

enum Stage<'b> {
    /// Not polled yet: the breaker has not been asked.
    Waiting,
    Running(Permit<'b>),
    /// The output has been returned.
    Done,
}

impl<Fut, T, E, C> Future for BreakerFuture<'_, Fut, C>
where
    Fut: Future<Output = Result<T, E>>,
    E: From<CircuitOpen>,
    C: Classifier<E>,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Stage::Waiting = this.stage {
            match this.breaker.try_acquire() {
                Ok(permit) => *this.stage = Stage::Running(permit),
                Err(open) => {
                    *this.stage = Stage::Done;
                    return Poll::Ready(Err(E::from(open)));
                }
            }
        }
        if !matches!(this.stage, Stage::Running(_)) {
            // Polled after completion: stay pending rather than run the call again.
            return Poll::Pending;
        }

        let result = ready!(this.future.poll(cx));
        if let Stage::Running(permit) = std::mem::replace(this.stage, Stage::Done) {
            permit.record_result(&result, &*this.classifier);
        }
        Poll::Ready(result)
    }
}
