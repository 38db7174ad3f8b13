//! Memory per call of a retried fn: the size of each async contender's future, and the heap
//! allocations each contender makes per call, on the happy path and when the body fails
//! twice before it succeeds. The contenders and the workload are the ones of
//! `benches/retry.rs`.
//!
//! Run it with `cargo run --release --example memory`; it prints Markdown tables. Sizes are
//! those of the release build (a debug build lays futures out differently). Allocations are
//! counted on this thread by a counting global allocator, averaged over many calls after a
//! warm-up, so one-time set-up (the runtime's timer wheel, a lazily seeded RNG) is left out.

#[allow(
    dead_code,
    reason = "the example uses part of the benches' shared support"
)]
#[path = "../benches/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;

use support::retry as c;
use support::{INPUT, TRANSIENT_FAILURES};

/// Counts the allocations, and the bytes asked for, of the current thread.
struct Counting;

thread_local! {
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

// SAFETY: defers to the system allocator; the counter is a const-initialised thread-local
// `Cell`, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNTS.with(|n| {
            let (count, bytes) = n.get();
            n.set((count + 1, bytes + layout.size() as u64));
        });
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Calls counted per contender, after as many uncounted ones.
const CALLS: u64 = 10_000;

/// Allocations and bytes per call, averaged.
#[derive(Clone, Copy)]
struct PerCall {
    allocations: f64,
    bytes: f64,
}

impl std::fmt::Display for PerCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} B)", self.allocations, self.bytes)
    }
}

fn per_call(before: (u64, u64), after: (u64, u64)) -> PerCall {
    PerCall {
        allocations: (after.0 - before.0) as f64 / CALLS as f64,
        bytes: (after.1 - before.1) as f64 / CALLS as f64,
    }
}

type SyncContender = fn(u64, &Cell<u32>) -> Result<u64, support::Flaky>;

fn sync_per_call(contender: SyncContender, failures: u32) -> PerCall {
    let mut before = (0, 0);
    // The first round warms up; the second is counted.
    for _ in 0..2 {
        before = COUNTS.with(Cell::get);
        for _ in 0..CALLS {
            let failures = Cell::new(failures);
            let out = contender(black_box(INPUT), black_box(&failures));
            assert!(
                out.is_ok() && failures.get() == 0,
                "the contender did not retry"
            );
        }
    }
    per_call(before, COUNTS.with(Cell::get))
}

/// As [`sync_per_call`], counting inside `block_on` so that only the contender's own
/// allocations are counted, not the runtime's entry and exit.
fn async_per_call(
    runtime: &tokio::runtime::Runtime,
    failures: u32,
    contender: impl AsyncFn(u64, &Cell<u32>) -> Result<u64, support::Flaky>,
) -> PerCall {
    runtime.block_on(async {
        let mut before = (0, 0);
        for _ in 0..2 {
            before = COUNTS.with(Cell::get);
            for _ in 0..CALLS {
                let cell = Cell::new(failures);
                let out = contender(black_box(INPUT), black_box(&cell)).await;
                assert!(
                    out.is_ok() && cell.get() == 0,
                    "the contender did not retry"
                );
            }
        }
        per_call(before, COUNTS.with(Cell::get))
    })
}

fn future_size<F: Future>(future: F) -> usize {
    std::mem::size_of_val(&future)
}

fn main() {
    // The counter must see an allocation made here, or every zero below means nothing.
    let before = COUNTS.with(Cell::get).0;
    black_box(Box::new(black_box(1_u64)));
    assert_eq!(
        COUNTS.with(Cell::get).0 - before,
        1,
        "the counting allocator is not in use"
    );

    let happy = support::runtime();
    let paused = support::paused_runtime();
    let zero = Cell::new(0);
    let n = TRANSIENT_FAILURES;

    println!("## Sync: heap allocations per call (bytes)\n");
    println!("| contender | happy path | transient twice |");
    println!("|---|---|---|");
    let sync: [(&str, SyncContender, bool); 6] = [
        ("plain fn", c::plain, false),
        ("hand-written loop", c::hand_loop, true),
        ("`#[retry]`", c::backstop, true),
        ("`#[retry]` defaults", c::backstop_defaults, false),
        ("backon", c::backon, true),
        ("backoff", c::backoff, true),
    ];
    for (name, contender, retries) in sync {
        let transient = if retries {
            sync_per_call(contender, n).to_string()
        } else {
            "n/a".to_string()
        };
        println!("| {name} | {} | {transient} |", sync_per_call(contender, 0));
    }

    println!("\n## Async: future size and heap allocations per call (bytes)\n");
    println!("| contender | future size (B) | happy path | transient twice |");
    println!("|---|---|---|---|");
    macro_rules! row {
        ($name:literal, $contender:path, $retries:literal) => {
            let size = future_size($contender(INPUT, &zero));
            let happy = async_per_call(&happy, 0, $contender);
            let transient = if $retries {
                async_per_call(&paused, n, $contender).to_string()
            } else {
                "n/a".to_string()
            };
            println!("| {} | {size} | {happy} | {transient} |", $name);
        };
    }
    row!("plain async fn", c::plain_async, false);
    row!("hand-written loop", c::hand_loop_async, true);
    row!("`#[retry]`", c::backstop_async, true);
    row!("`#[retry]` defaults", c::backstop_defaults_async, false);
    row!("backon", c::backon_async, true);
    row!("tokio-retry", c::tokio_retry_async, true);
    row!("backoff", c::backoff_async, true);
    // Every retrying future above holds one of these while it waits.
    let sleep = std::mem::size_of::<tokio::time::Sleep>();
    println!("\nFor scale: a `tokio::time::Sleep` is {sleep} B.");
}
