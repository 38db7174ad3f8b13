//! Time per call of a retried fn: `#[retry]` against the plain fn and against the retry
//! crates people reach for (backon, backoff, tokio-retry), on the same body.
//!
//! - `happy_path/{sync,async}`: the body succeeds at once; what a retry wrapper costs on
//!   the call that needed none.
//! - `transient_twice/{sync,async}`: the body fails twice, transiently, then succeeds; every
//!   contender waits zero between attempts, so this is the cost of the loop itself
//!   (classifying, deciding, setting up the sleep). Its reference is a hand-written loop.
//!
//! - `transient_twice/async_real_clock`: the same on tokio's real clock, where a zero delay
//!   still waits for the timer's next millisecond tick.
//!
//! Async contenders run on one current-thread tokio runtime through Criterion's `to_async`,
//! the same for all of them; the sleeping ones on a paused clock (see `support`).
//!
//! Run it with `cargo bench --bench retry` (about two minutes on two cores); add a filter
//! such as `cargo bench --bench retry -- happy_path/sync` to run one group.
//! `benches/report.py` turns Criterion's estimates into the ratio tables of BENCHMARKS.md.

#[allow(dead_code, reason = "each bench uses part of the shared support")]
mod support;

use std::cell::Cell;
use std::hint::black_box;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

use support::retry as c;
use support::{INPUT, TRANSIENT_FAILURES};

type SyncContender = fn(u64, &Cell<u32>) -> Result<u64, support::Flaky>;

/// Checks, once and outside the timing, that a contender retried through every failure;
/// a misconfigured peer that gave up early would otherwise look fast.
fn check(out: Result<u64, support::Flaky>, failures: &Cell<u32>, id: &str) {
    assert!(out.is_ok(), "{id} gave up");
    assert_eq!(failures.get(), 0, "{id} did not run every attempt");
}

/// Runs each sync contender on a fresh countdown of `failures`.
fn sync_group(
    criterion: &mut Criterion,
    name: &str,
    failures: u32,
    cases: &[(&str, SyncContender)],
) {
    let mut group = criterion.benchmark_group(name);
    for &(id, contender) in cases {
        let countdown = Cell::new(failures);
        check(contender(INPUT, &countdown), &countdown, id);
        group.bench_function(id, |b| {
            b.iter(|| {
                let failures = Cell::new(failures);
                contender(black_box(INPUT), black_box(&failures))
            });
        });
    }
    group.finish();
}

fn happy_path_sync(criterion: &mut Criterion) {
    sync_group(
        criterion,
        "happy_path/sync",
        0,
        &[
            ("plain", c::plain),
            ("hand_loop", c::hand_loop),
            ("backstop", c::backstop),
            ("backstop_defaults", c::backstop_defaults),
            ("backon", c::backon),
            ("backoff", c::backoff),
        ],
    );
}

fn transient_twice_sync(criterion: &mut Criterion) {
    sync_group(
        criterion,
        "transient_twice/sync",
        TRANSIENT_FAILURES,
        &[
            ("hand_loop", c::hand_loop),
            ("backstop", c::backstop),
            ("backon", c::backon),
            ("backoff", c::backoff),
        ],
    );
}

/// One async benchmark: a fresh countdown of `failures` per call, the contender's future
/// awaited on `runtime`. A macro because each contender's future is a different type.
macro_rules! bench_async {
    ($group:expr, $runtime:expr, $failures:expr, $id:literal, $contender:path) => {
        let countdown = Cell::new($failures);
        check(
            $runtime.block_on($contender(INPUT, &countdown)),
            &countdown,
            $id,
        );
        $group.bench_function($id, |b| {
            b.to_async($runtime).iter(|| async {
                let failures = Cell::new($failures);
                $contender(black_box(INPUT), black_box(&failures)).await
            });
        });
    };
}

fn happy_path_async(criterion: &mut Criterion) {
    let runtime = support::runtime();
    let mut group = criterion.benchmark_group("happy_path/async");
    bench_async!(group, &runtime, 0, "plain", c::plain_async);
    bench_async!(group, &runtime, 0, "hand_loop", c::hand_loop_async);
    bench_async!(group, &runtime, 0, "backstop", c::backstop_async);
    bench_async!(
        group,
        &runtime,
        0,
        "backstop_defaults",
        c::backstop_defaults_async
    );
    bench_async!(group, &runtime, 0, "backon", c::backon_async);
    bench_async!(group, &runtime, 0, "tokio_retry", c::tokio_retry_async);
    bench_async!(group, &runtime, 0, "backoff", c::backoff_async);
    group.finish();
}

fn transient_twice_async(criterion: &mut Criterion) {
    let runtime = support::paused_runtime();
    let n = TRANSIENT_FAILURES;
    let mut group = criterion.benchmark_group("transient_twice/async");
    bench_async!(group, &runtime, n, "hand_loop", c::hand_loop_async);
    bench_async!(group, &runtime, n, "backstop", c::backstop_async);
    bench_async!(group, &runtime, n, "backon", c::backon_async);
    bench_async!(group, &runtime, n, "tokio_retry", c::tokio_retry_async);
    bench_async!(group, &runtime, n, "backoff", c::backoff_async);
    group.finish();
}

/// The transient workload on the real clock, to show why the group above pauses it: tokio
/// rounds every deadline up to the next millisecond, so each "zero" delay parks the thread
/// until then, whichever crate asks for it. Few, flat samples: each call takes milliseconds.
fn transient_twice_async_real_clock(criterion: &mut Criterion) {
    let runtime = support::runtime();
    let n = TRANSIENT_FAILURES;
    let mut group = criterion.benchmark_group("transient_twice/async_real_clock");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    bench_async!(group, &runtime, n, "backstop", c::backstop_async);
    bench_async!(group, &runtime, n, "backon", c::backon_async);
    bench_async!(group, &runtime, n, "tokio_retry", c::tokio_retry_async);
    bench_async!(group, &runtime, n, "backoff", c::backoff_async);
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = happy_path_sync, happy_path_async, transient_twice_sync, transient_twice_async,
        transient_twice_async_real_clock
}
criterion_main!(benches);
