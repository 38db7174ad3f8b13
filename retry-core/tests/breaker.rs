//! Circuit breakers through their public API: blocking and async calls, tokio's paused
//! clock, and a retry loop that waits on an open breaker.

use std::cell::Cell;
use std::io;
use std::time::Duration;

use retry_core::{
    Backoff, BreakerConfig, BreakerState, CircuitBreaker, CircuitOpen, Classification, Jitter,
    Retry, RetryPolicy, Retryable, When, Window,
};

const SEC: Duration = Duration::from_secs(1);

#[derive(Debug, PartialEq)]
enum ApiError {
    Unavailable,
    BadRequest,
    Open(CircuitOpen),
}

impl Retryable for ApiError {
    fn classify(&self) -> Classification {
        match self {
            ApiError::Unavailable => Classification::Transient,
            ApiError::BadRequest => Classification::Permanent,
            ApiError::Open(open) => open.classify(),
        }
    }
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

fn small(open_for: Duration) -> BreakerConfig {
    BreakerConfig::new()
        .with_window(Window::Count(4))
        .with_min_calls(2)
        .with_open_for(open_for)
        .with_half_open_calls(1)
}

#[test]
fn an_open_breaker_does_not_run_the_body() {
    let breaker = CircuitBreaker::new("it-blocking", small(SEC * 30)).unwrap();
    let runs = Cell::new(0);
    let failing = || {
        runs.set(runs.get() + 1);
        Err::<(), _>(ApiError::Unavailable)
    };
    assert_eq!(breaker.call(failing), Err(ApiError::Unavailable));
    assert_eq!(breaker.call(failing), Err(ApiError::Unavailable));
    match breaker.call(failing) {
        Err(ApiError::Open(open)) => {
            assert_eq!(open.name, "it-blocking");
            assert!(open.retry_in > Duration::ZERO && open.retry_in <= SEC * 30);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(runs.get(), 2);
}

#[test]
fn permanent_errors_pass_through_without_counting() {
    let breaker = CircuitBreaker::new("it-permanent", small(SEC * 30)).unwrap();
    for _ in 0..10 {
        assert_eq!(
            breaker.call(|| Err::<(), _>(ApiError::BadRequest)),
            Err(ApiError::BadRequest)
        );
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(breaker.metrics().calls, 0);
}

#[test]
fn a_predicate_decides_what_counts_as_a_failure() {
    let breaker = CircuitBreaker::new("it-when", small(SEC * 30)).unwrap();
    // Only timeouts count; the refused connections are left out.
    let timeouts = When(|err: &io::Error| err.kind() == io::ErrorKind::TimedOut);
    for _ in 0..4 {
        let refused = breaker.call_with(timeouts, || {
            Err::<(), io::Error>(io::ErrorKind::ConnectionRefused.into())
        });
        assert!(refused.is_err());
    }
    assert_eq!(breaker.metrics().calls, 0);
    for _ in 0..2 {
        let _ = breaker.call_with(timeouts, || {
            Err::<(), io::Error>(io::ErrorKind::TimedOut.into())
        });
    }
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn async_calls_see_exact_transitions_on_the_paused_clock() {
    let breaker = CircuitBreaker::new("it-async", small(SEC * 10)).unwrap();
    for _ in 0..2 {
        let failed = breaker
            .call_async(async { Err::<(), _>(ApiError::Unavailable) })
            .await;
        assert_eq!(failed, Err(ApiError::Unavailable));
    }
    let open = breaker.call_async(async { Ok::<_, ApiError>(()) }).await;
    assert_eq!(
        open,
        Err(ApiError::Open(CircuitOpen {
            name: "it-async",
            retry_in: SEC * 10
        }))
    );

    tokio::time::advance(SEC * 10 - Duration::from_millis(1)).await;
    let still = breaker.call_async(async { Ok::<_, ApiError>(()) }).await;
    assert!(
        matches!(still, Err(ApiError::Open(open)) if open.retry_in == Duration::from_millis(1))
    );

    tokio::time::advance(Duration::from_millis(1)).await;
    let probe = breaker.call_async(async { Ok::<_, ApiError>(7) }).await;
    assert_eq!(probe, Ok(7));
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_probe_gives_its_slot_back() {
    let breaker = CircuitBreaker::new("it-cancel", small(SEC)).unwrap();
    for _ in 0..2 {
        let _ = breaker
            .call_async(async { Err::<(), _>(ApiError::Unavailable) })
            .await;
    }
    tokio::time::advance(SEC).await;

    // The probe hangs and is cancelled by a timeout.
    let hanging = breaker.call_async(std::future::pending::<Result<(), ApiError>>());
    assert!(tokio::time::timeout(SEC, hanging).await.is_err());
    assert_eq!(breaker.state(), BreakerState::HalfOpen);

    let probe = breaker.call_async(async { Ok::<_, ApiError>(()) }).await;
    assert_eq!(probe, Ok(()));
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn an_unpolled_call_takes_no_probe_slot() {
    let breaker = CircuitBreaker::new("it-lazy", small(SEC)).unwrap();
    for _ in 0..2 {
        let _ = breaker
            .call_async(async { Err::<(), _>(ApiError::Unavailable) })
            .await;
    }
    tokio::time::advance(SEC).await;
    let never_polled = breaker.call_async(async { Ok::<_, ApiError>(()) });
    let polled = breaker.call_async(async { Ok::<_, ApiError>(()) }).await;
    assert_eq!(polled, Ok(()));
    drop(never_polled);
}

#[tokio::test(start_paused = true)]
async fn a_retry_loop_waits_for_the_breaker_instead_of_hammering_it() {
    const POLICY: RetryPolicy = RetryPolicy::new()
        .with_attempts(4)
        .with_backoff(Backoff::constant(Duration::from_millis(10)))
        .with_jitter(Jitter::None);
    let breaker = CircuitBreaker::new("it-retry", small(SEC * 5)).unwrap();
    let started = tokio::time::Instant::now();
    let attempts = Cell::new(0);
    let service_runs = Cell::new(0);

    let result = Retry::new(&POLICY)
        .call_async(|| {
            attempts.set(attempts.get() + 1);
            breaker.call_async(async {
                service_runs.set(service_runs.get() + 1);
                // The service fails twice, then has recovered.
                if service_runs.get() <= 2 {
                    Err(ApiError::Unavailable)
                } else {
                    Ok("done")
                }
            })
        })
        .await;

    // Two failures, 10 ms apart, open the breaker at 10 ms. The third attempt (at 20 ms) is
    // rejected and waits its `retry_in`, exactly until the breaker lets a probe through at
    // 5.01 s; the fourth attempt is that probe, and it succeeds.
    assert_eq!(result, Ok("done"));
    assert_eq!((attempts.get(), service_runs.get()), (4, 3));
    assert_eq!(started.elapsed(), Duration::from_millis(10) + SEC * 5);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[test]
fn a_panicking_body_counts_as_a_failure_and_the_panic_goes_on() {
    let breaker = CircuitBreaker::new("it-panic", small(SEC * 30).with_min_calls(1)).unwrap();
    let panicked = std::panic::catch_unwind(|| {
        breaker.call(|| -> Result<(), ApiError> { panic!("bug in the body") })
    });
    assert!(panicked.is_err());
    assert_eq!(breaker.state(), BreakerState::Open);
}

/// The expansion that `#[circuit_breaker]` generates, written out, against the hidden API.
mod generated {
    use retry_core::private as __private;

    use super::ApiError;

    fn lookup(fail: bool) -> Result<u32, ApiError> {
        const __CONFIG: __private::BreakerConfig = __private::checked_breaker(
            __private::BreakerConfig::new()
                .with_window(__private::Window::Count(2))
                .with_min_calls(2),
        );
        static __BREAKER: __private::BreakerHandle =
            __private::BreakerHandle::new("it-generated", __CONFIG);

        let __permit = match __BREAKER.get().try_acquire() {
            Ok(permit) => permit,
            Err(open) => return Err(__private::rejected::<Result<u32, ApiError>>(open)),
        };
        let __result: Result<u32, ApiError> = __private::attempt(|| {
            if fail {
                Err(ApiError::Unavailable)
            } else {
                Ok(1)
            }
        });
        __permit.record_result(
            &__result,
            &__private::by_retryable::<Result<u32, ApiError>>(),
        );
        __result
    }

    #[test]
    fn generated_code_shares_the_registered_breaker() {
        assert_eq!(lookup(false), Ok(1));
        let breaker = retry_core::breaker("it-generated").expect("registered on first call");
        assert_eq!(breaker.metrics().calls, 1);
        assert_eq!(lookup(true), Err(ApiError::Unavailable));
        assert!(matches!(lookup(false), Err(ApiError::Open(_))));
        breaker.reset();
        assert_eq!(lookup(false), Ok(1));
    }
}
