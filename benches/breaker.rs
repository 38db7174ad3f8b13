//! Time per call through a circuit breaker: `#[circuit_breaker]` against the plain fn, a bare
//! atomic load, and the breaker crates people reach for (failsafe, recloser,
//! tower-resilience), on the same never-inlined service (`support::service`).
//!
//! - `closed/1_thread`: every call succeeds; what a breaker costs while all is well.
//! - `closed/2_threads`: the same with two threads calling one shared breaker, so that what
//!   the calls write to it (and any lock) is fought over. Each sample spawns two scoped
//!   threads that wait at a barrier, then make N/2 calls each; the time is from the barrier
//!   to the last join, divided by N.
//! - `open/reject`: every call is rejected by a breaker tripped by failures just before
//!   (`backstop_forced`: forced open by an operator instead), so the service never runs.
//! - `half_open/probe`: one iteration is a whole cycle through a breaker that waits no time
//!   while open: the failing call(s) that open it, then the probe(s) that find it half-open
//!   and close it. The fewest calls each crate allows: one failure and one probe, except
//!   recloser, two and two (see `support::breaker::Peers::probing`).
//!
//! Run it with `cargo bench --bench breaker` (under two minutes on two cores), or one group
//! with a filter such as `cargo bench --bench breaker -- closed/1_thread`.
//! `benches/report.py` turns the estimates into the ratio tables of BENCHMARKS.md, and
//! `bash benches/instructions.sh breaker` counts instructions per call.

#[allow(dead_code, reason = "each bench uses part of the shared support")]
mod support;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use backstop::BreakerState;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

use support::INPUT;
use support::breaker::{
    AtomicLoad, BackstopCount, BackstopProbe, BackstopTime, COUNT, Caller, Failsafe, PROBE, Peers,
    Plain, Recloser, Refused, TIME, Tower, tower_is_closed,
};

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// The registry's breaker of a `#[circuit_breaker]` fn; it exists once the fn has run.
fn registered(name: &str) -> &'static backstop::CircuitBreaker {
    backstop::breaker(name).expect("the fn has run once, so its breaker is registered")
}

/// Benchmarks calls that succeed through a closed breaker, after checking that one does.
fn closed<C: Caller>(group: &mut Group<'_>, id: &str, mut caller: C) {
    let expected = support::service(INPUT, false).map_err(|_| Refused::Down);
    assert_eq!(
        caller.call(INPUT, false),
        expected,
        "{id} did not run the service"
    );
    group.bench_function(id, |b| {
        b.iter(|| caller.call(black_box(INPUT), black_box(false)));
    });
    assert_eq!(
        caller.call(INPUT, false),
        expected,
        "{id} opened during the run"
    );
}

/// `iters` calls, shared by two threads; the time from the moment both are ready until
/// both are done, so that spawning the threads is left out.
fn two_threads<C: Caller>(make: &(impl Fn() -> C + Sync), iters: u64) -> Duration {
    let ready = Barrier::new(3);
    let mut start = None;
    std::thread::scope(|scope| {
        for share in [iters - iters / 2, iters / 2] {
            let ready = &ready;
            scope.spawn(move || {
                let mut caller = make();
                ready.wait();
                for _ in 0..share {
                    let _ = black_box(caller.call(black_box(INPUT), black_box(false)));
                }
            });
        }
        ready.wait();
        start = Some(Instant::now());
    });
    start.expect("the scope ran").elapsed()
}

fn closed_two<C: Caller>(group: &mut Group<'_>, id: &str, make: impl Fn() -> C + Sync) {
    assert!(
        make().call(INPUT, false).is_ok(),
        "{id} did not run the service"
    );
    group.bench_function(id, |b| b.iter_custom(|iters| two_threads(&make, iters)));
    assert!(
        make().call(INPUT, false).is_ok(),
        "{id} opened during the run"
    );
}

/// Fails calls through `caller` until its breaker rejects one.
fn trip<C: Caller>(caller: &mut C, id: &str) {
    for _ in 0..10_000 {
        if caller.call(INPUT, true) == Err(Refused::Open) {
            return;
        }
    }
    panic!("{id} did not open after 10,000 failures");
}

/// Benchmarks calls rejected by an open breaker; checks before and after that it rejects,
/// since a breaker that turned half-open during the run would time the service instead.
fn rejected<C: Caller>(group: &mut Group<'_>, id: &str, mut caller: C) {
    assert_eq!(
        caller.call(INPUT, false),
        Err(Refused::Open),
        "{id} is not open"
    );
    group.bench_function(id, |b| {
        b.iter(|| caller.call(black_box(INPUT), black_box(false)));
    });
    assert_eq!(
        caller.call(INPUT, false),
        Err(Refused::Open),
        "{id} let a call through"
    );
}

/// Where a breaker of the half-open cycle stands, as far as its crate tells.
type Probe<'a> = Option<&'a dyn Fn() -> bool>;

/// Benchmarks the whole cycle: `failures` failing calls that open the breaker, then
/// `probes` successful calls that find it half-open and close it.
///
/// Checked first over many cycles: the failing calls must reach the service (the breaker
/// was closed again) and the probes too (it let them through), and where the crate tells
/// its state, `is_closed` must be false after the failures and true after the probes.
fn cycle<C: Caller>(
    group: &mut Group<'_>,
    id: &str,
    mut caller: C,
    (failures, probes): (u32, u32),
    is_closed: Probe<'_>,
) {
    for _ in 0..1_000 {
        for _ in 0..failures {
            assert_eq!(
                caller.call(INPUT, true),
                Err(Refused::Down),
                "{id}: not closed"
            );
        }
        if let Some(is_closed) = is_closed {
            assert!(!is_closed(), "{id}: the failures did not open it");
        }
        for _ in 0..probes {
            assert!(
                caller.call(INPUT, false).is_ok(),
                "{id}: a probe was rejected"
            );
        }
        if let Some(is_closed) = is_closed {
            assert!(is_closed(), "{id}: the probes did not close it");
        }
    }
    group.bench_function(id, |b| {
        b.iter(|| {
            for _ in 0..failures {
                let _ = black_box(caller.call(black_box(INPUT), black_box(true)));
            }
            for _ in 0..probes {
                let _ = black_box(caller.call(black_box(INPUT), black_box(false)));
            }
        });
    });
}

fn closed_1_thread(criterion: &mut Criterion) {
    let peers = Peers::closed();
    let mut group = criterion.benchmark_group("closed/1_thread");
    closed(&mut group, "plain", Plain);
    closed(&mut group, "atomic_load", AtomicLoad::<false>);
    closed(&mut group, "backstop", BackstopCount);
    closed(&mut group, "backstop_time", BackstopTime);
    closed(&mut group, "failsafe", Failsafe(&peers.failsafe));
    closed(&mut group, "recloser", Recloser(&peers.recloser));
    closed(&mut group, "tower_resilience", Tower(peers.tower.clone()));
    group.finish();
}

fn closed_2_threads(criterion: &mut Criterion) {
    let peers = Peers::closed();
    let mut group = criterion.benchmark_group("closed/2_threads");
    closed_two(&mut group, "plain", || Plain);
    closed_two(&mut group, "atomic_load", || AtomicLoad::<false>);
    closed_two(&mut group, "backstop", || BackstopCount);
    closed_two(&mut group, "backstop_time", || BackstopTime);
    closed_two(&mut group, "failsafe", || Failsafe(&peers.failsafe));
    closed_two(&mut group, "recloser", || Recloser(&peers.recloser));
    closed_two(&mut group, "tower_resilience", || {
        Tower(peers.tower.clone())
    });
    group.finish();
}

/// Trips the `static` breaker of a `#[circuit_breaker]` fn, from an empty window (the
/// closed groups share it), and benchmarks its rejections; the caller resets it afterwards.
fn open_from_empty<C: Caller>(group: &mut Group<'_>, id: &str, name: &str, mut caller: C) {
    caller
        .call(INPUT, false)
        .expect("a closed breaker runs the call");
    registered(name).reset();
    trip(&mut caller, id);
    rejected(group, id, caller);
}

fn open_reject(criterion: &mut Criterion) {
    let peers = Peers::closed();
    let mut group = criterion.benchmark_group("open/reject");
    rejected(&mut group, "atomic_load", AtomicLoad::<true>);

    open_from_empty(&mut group, "backstop", COUNT, BackstopCount);
    open_from_empty(&mut group, "backstop_time", TIME, BackstopTime);
    registered(COUNT).force_open();
    rejected(&mut group, "backstop_forced", BackstopCount);
    registered(COUNT).reset();
    registered(TIME).reset();

    let mut failsafe = Failsafe(&peers.failsafe);
    trip(&mut failsafe, "failsafe");
    rejected(&mut group, "failsafe", failsafe);
    let mut recloser = Recloser(&peers.recloser);
    trip(&mut recloser, "recloser");
    rejected(&mut group, "recloser", recloser);
    let mut tower = Tower(peers.tower.clone());
    trip(&mut tower, "tower_resilience");
    rejected(&mut group, "tower_resilience", tower);
    group.finish();
}

fn half_open_probe(criterion: &mut Criterion) {
    let peers = Peers::probing();
    let mut group = criterion.benchmark_group("half_open/probe");

    BackstopProbe
        .call(INPUT, false)
        .expect("a new breaker is closed");
    let backstop = registered(PROBE);
    let backstop_closed = || backstop.state() == BreakerState::Closed;
    cycle(
        &mut group,
        "backstop",
        BackstopProbe,
        (1, 1),
        Some(&backstop_closed),
    );

    // failsafe's `Debug` is the only place it shows its state.
    let failsafe_closed = || format!("{:?}", peers.failsafe).contains("\"closed\"");
    let failsafe = Failsafe(&peers.failsafe);
    cycle(
        &mut group,
        "failsafe",
        failsafe,
        (1, 1),
        Some(&failsafe_closed),
    );

    // recloser does not show its state; its calls' results are all that is checked.
    cycle(
        &mut group,
        "recloser",
        Recloser(&peers.recloser),
        (2, 2),
        None,
    );

    let tower_closed = || tower_is_closed(&peers.tower);
    let tower = Tower(peers.tower.clone());
    cycle(
        &mut group,
        "tower_resilience",
        tower,
        (1, 1),
        Some(&tower_closed),
    );
    group.finish();
}

/// Shorter than the retry bench's settings, so that the 25 benchmarks take under two
/// minutes; the intervals stay within a few percent.
fn settings() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(40)
        .nresamples(20_000)
        .noise_threshold(0.03)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = settings();
    targets = closed_1_thread, closed_2_threads, open_reject, half_open_probe
}
criterion_main!(benches);
