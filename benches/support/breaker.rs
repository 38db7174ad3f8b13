//! The breaker contenders: the same workload ([`service`]) with no breaker, behind a bare
//! atomic load, behind `#[circuit_breaker]`, and behind each peer crate's breaker.
//!
//! Every contender is a [`Caller`]: one call, told whether the service fails this time, with
//! the crate's own error mapped to [`Refused`], so that one generic loop drives them all.
//! `Caller::call` is never inlined, so no contender's set-up can be hoisted out of the bench
//! loop, and it is the one call per iteration that `benches/instructions.sh` divides by.
//!
//! The breakers are configured alike as far as each crate allows (see [`Peers::closed`] and
//! [`Peers::probing`]); every error of the workload is transient, so each crate counts it as
//! a failure, whether it asks `Retryable` (backstop) or counts every `Err` (the peers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use backstop::{CircuitOpen, Classification, Retryable, circuit_breaker};
use failsafe::CircuitBreaker as _;
use failsafe::backoff::{Constant, EqualJittered};
use failsafe::failure_policy::{
    ConsecutiveFailures, OrElse, SuccessRateOverTimeWindow, consecutive_failures,
};
use tower_resilience_circuitbreaker::{CircuitBreakerLayer, CircuitState, DefaultClassifier};
use tower_service::Service;

use super::{Flaky, service};

/// How a call through a contender failed: the service's own error, or a rejection by the
/// breaker before the service ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Down,
    Open,
}

/// One contender, as one thread calls it.
pub trait Caller {
    /// One call: the service fails when `fail` is set.
    fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused>;
}

/// The reference: the service with nothing around it.
pub struct Plain;

impl Caller for Plain {
    #[inline(never)]
    fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused> {
        service(x, fail).map_err(|_| Refused::Down)
    }
}

/// The gate that [`AtomicLoad`] reads while closed: 0 lets calls through.
static CLOSED_GATE: AtomicU64 = AtomicU64::new(0);
/// The gate of the rejection group: anything else rejects.
static OPEN_GATE: AtomicU64 = AtomicU64::new(1);

/// The floor that the breaker docs compare a closed breaker with: one atomic load of a
/// shared word (with `Acquire`, as the breaker's state is read), then the service. It
/// records nothing, so it is no breaker; it says what admission alone costs.
pub struct AtomicLoad<const OPEN: bool>;

impl<const OPEN: bool> Caller for AtomicLoad<OPEN> {
    #[inline(never)]
    fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused> {
        let gate = if OPEN { &OPEN_GATE } else { &CLOSED_GATE };
        if gate.load(Ordering::Acquire) != 0 {
            return Err(Refused::Open);
        }
        service(x, fail).map_err(|_| Refused::Down)
    }
}

/// The error of the `#[circuit_breaker]` fns: the service's, or the breaker's rejection.
#[derive(Debug)]
pub enum BreakerError {
    Down(Flaky),
    Open(CircuitOpen),
}

impl From<Flaky> for BreakerError {
    fn from(error: Flaky) -> Self {
        BreakerError::Down(error)
    }
}

impl From<CircuitOpen> for BreakerError {
    fn from(open: CircuitOpen) -> Self {
        BreakerError::Open(open)
    }
}

impl Retryable for BreakerError {
    fn classify(&self) -> Classification {
        match self {
            BreakerError::Down(error) => error.classify(),
            BreakerError::Open(open) => open.classify(),
        }
    }
}

impl BreakerError {
    fn refused(self) -> Refused {
        match self {
            BreakerError::Down(_) => Refused::Down,
            BreakerError::Open(_) => Refused::Open,
        }
    }
}

/// The registry names of the breakers below, for the bench to trip, force and reset them.
pub const COUNT: &str = "bench/count";
pub const TIME: &str = "bench/time";
pub const PROBE: &str = "bench/probe";

/// `#[circuit_breaker]` with its defaults: the last 100 calls, open at 50 % failures once 10
/// calls are in, 30 s open, 3 probes.
#[circuit_breaker(name = "bench/count")]
pub fn backstop_count(x: u64, fail: bool) -> Result<u64, BreakerError> {
    Ok(service(x, fail)?)
}

/// The same with a time window: the calls of the last 10 s, in ten buckets of a second.
#[circuit_breaker(name = "bench/time", window = time(10s))]
pub fn backstop_time(x: u64, fail: bool) -> Result<u64, BreakerError> {
    Ok(service(x, fail)?)
}

/// The smallest breaker, for the half-open cycle: one failure opens it, it lets a probe
/// through 1 ns later (the shortest `open_for`), and one successful probe closes it.
#[circuit_breaker(
    name = "bench/probe",
    window = count(1),
    min_calls = 1,
    open_for = 1ns,
    half_open_calls = 1
)]
pub fn backstop_probe(x: u64, fail: bool) -> Result<u64, BreakerError> {
    Ok(service(x, fail)?)
}

/// A [`Caller`] for a `#[circuit_breaker]` fn; the breaker is the fn's own `static`.
macro_rules! backstop_caller {
    ($(#[$doc:meta])* $caller:ident, $function:path) => {
        $(#[$doc])*
        pub struct $caller;

        impl Caller for $caller {
            #[inline(never)]
            fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused> {
                $function(x, fail).map_err(BreakerError::refused)
            }
        }
    };
}

backstop_caller!(
    /// [`backstop_count`].
    BackstopCount,
    backstop_count
);
backstop_caller!(
    /// [`backstop_time`].
    BackstopTime,
    backstop_time
);
backstop_caller!(
    /// [`backstop_probe`].
    BackstopProbe,
    backstop_probe
);

/// failsafe's default policy, which [`Peers::closed`] uses: a success rate over 30 s, or 5
/// failures in a row.
pub type DefaultPolicy =
    OrElse<SuccessRateOverTimeWindow<EqualJittered>, ConsecutiveFailures<EqualJittered>>;

/// The failsafe policy of the half-open cycle: open after one failure, for zero time.
pub type ProbePolicy = ConsecutiveFailures<Constant>;

/// A failsafe breaker, through its `CircuitBreaker::call`.
pub struct Failsafe<'a, P>(pub &'a failsafe::StateMachine<P, ()>);

impl<P: failsafe::FailurePolicy> Caller for Failsafe<'_, P> {
    #[inline(never)]
    fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused> {
        self.0
            .call(|| service(x, fail))
            .map_err(|error| match error {
                failsafe::Error::Inner(_) => Refused::Down,
                failsafe::Error::Rejected => Refused::Open,
            })
    }
}

/// A recloser breaker, through its blocking `call`.
pub struct Recloser<'a>(pub &'a recloser::Recloser);

impl Caller for Recloser<'_> {
    #[inline(never)]
    fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused> {
        self.0
            .call(|| service(x, fail))
            .map_err(|error| match error {
                recloser::Error::Inner(_) => Refused::Down,
                recloser::Error::Rejected => Refused::Open,
            })
    }
}

/// The workload as a tower service, for tower-resilience's breaker to wrap.
#[derive(Debug, Clone, Copy)]
pub struct Body;

impl Service<(u64, bool)> for Body {
    type Response = u64;
    type Error = Flaky;
    type Future = std::future::Ready<Result<u64, Flaky>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Flaky>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, (x, fail): (u64, bool)) -> Self::Future {
        std::future::ready(service(x, fail))
    }
}

/// tower-resilience's breaker around [`Body`]; its clones share one breaker.
pub type TowerBreaker = tower_resilience_circuitbreaker::CircuitBreaker<Body, DefaultClassifier>;

/// tower-resilience's breaker, as a tower service: `poll_ready`, then `call`, then a poll of
/// the boxed future it returns, with a no-op waker.
///
/// tower-resilience has no blocking entry point; this is the least an executor can do. The
/// future is ready on its first poll unless another thread holds the breaker's async lock,
/// when this polls again, spinning, as a busy executor would.
pub struct Tower(pub TowerBreaker);

impl Caller for Tower {
    #[inline(never)]
    fn call(&mut self, x: u64, fail: bool) -> Result<u64, Refused> {
        let mut cx = Context::from_waker(Waker::noop());
        while self.0.poll_ready(&mut cx).is_pending() {
            std::hint::spin_loop();
        }
        let mut future = self.0.call((x, fail));
        let result = loop {
            if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
                break result;
            }
            std::hint::spin_loop();
        };
        result.map_err(|error| {
            if error.is_circuit_open() {
                Refused::Open
            } else {
                Refused::Down
            }
        })
    }
}

/// Whether tower-resilience's breaker is closed, for the bench's checks.
pub fn tower_is_closed(breaker: &TowerBreaker) -> bool {
    breaker.state_sync() == CircuitState::Closed
}

/// One breaker of each peer crate, shared by the threads of a benchmark.
pub struct Peers<P> {
    pub failsafe: failsafe::StateMachine<P, ()>,
    pub recloser: recloser::Recloser,
    pub tower: TowerBreaker,
}

impl Peers<DefaultPolicy> {
    /// The breakers of the closed and open groups, set like `#[circuit_breaker]`'s defaults
    /// where the crate has the setting: 50 % failures over the last 100 calls, 30 s open,
    /// 3 probes.
    ///
    /// - failsafe has no count window and no failure-rate threshold on one: it gets its
    ///   default policy, the one its docs build, which opens on a success rate over 30 s or
    ///   after 5 failures in a row, for 5 to 10 s the first time.
    /// - recloser: its ring of the last 100 calls, 50 %, 30 s, 3 probes.
    /// - tower-resilience: its count window (which counts the calls since the last change
    ///   of state rather than the last N), 50 % once 10 calls are in, 30 s, 3 probes.
    pub fn closed() -> Self {
        Peers {
            failsafe: failsafe::Config::new().build(),
            recloser: recloser_closed(),
            tower: tower_closed(),
        }
    }
}

/// recloser as [`Peers::closed`] has it.
pub fn recloser_closed() -> recloser::Recloser {
    recloser::Recloser::custom()
        .error_rate(0.5)
        .closed_len(100)
        .half_open_len(3)
        .open_wait(Duration::from_secs(30))
        .build()
}

/// tower-resilience's breaker as [`Peers::closed`] has it.
pub fn tower_closed() -> TowerBreaker {
    CircuitBreakerLayer::builder()
        .failure_rate_threshold(0.5)
        .sliding_window_size(100)
        .minimum_number_of_calls(10)
        .wait_duration_in_open(Duration::from_secs(30))
        .permitted_calls_in_half_open(3)
        .build()
        .expect("a valid tower-resilience configuration")
        .layer_fn(Body)
}

impl Peers<ProbePolicy> {
    /// The smallest breakers each crate allows, for the half-open cycle: each opens on the
    /// fewest failures it can, waits no time, and closes on the fewest probes it can.
    ///
    /// - failsafe: one failure opens it; the next call finds the (zero) wait over, goes
    ///   through half-open, and its success closes the breaker.
    /// - recloser: a ring of one call gives a rate only from the call after it is full, so
    ///   two failures open it and two successful probes close it.
    /// - tower-resilience: a window of one call; one failure, one probe.
    pub fn probing() -> Self {
        Peers {
            failsafe: failsafe::Config::new()
                .failure_policy(consecutive_failures(
                    1,
                    failsafe::backoff::constant(Duration::ZERO),
                ))
                .build(),
            recloser: recloser::Recloser::custom()
                .error_rate(0.5)
                .closed_len(1)
                .half_open_len(1)
                .open_wait(Duration::ZERO)
                .build(),
            tower: CircuitBreakerLayer::builder()
                .failure_rate_threshold(0.5)
                .sliding_window_size(1)
                .minimum_number_of_calls(1)
                .wait_duration_in_open(Duration::ZERO)
                .permitted_calls_in_half_open(1)
                .build()
                .expect("a valid tower-resilience configuration")
                .layer_fn(Body),
        }
    }
}
