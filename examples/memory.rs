//! Memory per call of a retried fn: the size of each async contender's future, and the heap
//! allocations each contender makes per call, on the happy path and when the body fails
//! twice before it succeeds. The contenders and the workload are the ones of
//! `benches/retry.rs`.
//!
//! Then the same for circuit breakers, with the contenders of `benches/breaker.rs`: the size
//! of each breaker (inline, and on the heap once built), and the allocations of a call through
//! a closed breaker, of a rejected call, and of a whole open/half-open/closed cycle.
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
use std::time::Duration;

use backstop::{BreakerConfig, CircuitBreaker, Window};
use support::breaker::{self as b, Caller, Refused};
use support::retry as c;
use support::{INPUT, TRANSIENT_FAILURES};

/// Counts the allocations, and the bytes asked for, of the current thread.
struct Counting;

thread_local! {
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    /// Bytes freed, so that what a constructor leaves on the heap can be told from its
    /// temporaries.
    static FREED: Cell<u64> = const { Cell::new(0) };
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
        FREED.with(|n| n.set(n.get() + layout.size() as u64));
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

/// Bytes that `build` leaves on the heap (allocated and not freed), with the value it built,
/// which the caller drops after reading the figure.
fn heap_of<T>(build: impl FnOnce() -> T) -> (T, u64) {
    let (before, freed) = (COUNTS.with(Cell::get).1, FREED.with(Cell::get));
    let value = black_box(build());
    let kept = (COUNTS.with(Cell::get).1 - before) - (FREED.with(Cell::get) - freed);
    (value, kept)
}

/// Allocations per call of `call`, as [`sync_per_call`] counts them.
fn breaker_per_call(mut call: impl FnMut()) -> PerCall {
    let mut before = (0, 0);
    for _ in 0..2 {
        before = COUNTS.with(Cell::get);
        for _ in 0..CALLS {
            call();
        }
    }
    per_call(before, COUNTS.with(Cell::get))
}

/// The three breaker figures of one contender: a call through it while closed, a rejected
/// call once [`trip`] has opened it, and a cycle of the half-open bench on `cycler` (the
/// smallest breaker of its crate), `failures` failing calls then `probes` probes.
fn breaker_row(name: &str, closed: &mut dyn Caller, cycler: Option<(&mut dyn Caller, u32, u32)>) {
    let through = breaker_per_call(|| {
        assert!(
            closed.call(black_box(INPUT), false).is_ok(),
            "{name} is not closed"
        );
    });
    trip(closed);
    let rejected = breaker_per_call(|| {
        let out = closed.call(black_box(INPUT), false);
        assert_eq!(out, Err(Refused::Open), "{name} is not open");
    });
    let cycle = match cycler {
        Some((cycler, failures, probes)) => breaker_per_call(|| {
            for _ in 0..failures {
                assert_eq!(cycler.call(INPUT, true), Err(Refused::Down));
            }
            for _ in 0..probes {
                assert!(
                    cycler.call(INPUT, false).is_ok(),
                    "{name}: a probe was rejected"
                );
            }
        })
        .to_string(),
        None => "n/a".to_string(),
    };
    println!("| {name} | {through} | {rejected} | {cycle} |");
}

/// Fails calls until the breaker rejects one, as the bench does. A time window still holds
/// the successes just counted, so it takes as many failures again.
fn trip(caller: &mut dyn Caller) {
    for _ in 0..100_000 {
        if caller.call(INPUT, true) == Err(Refused::Open) {
            return;
        }
    }
    panic!("the breaker did not open");
}

fn breakers() {
    println!("\n## Breakers: size\n");
    println!("| breaker | `size_of` (B) | left on the heap once built (B) |");
    println!("|---|---|---|");
    let size_row = |name: &str, size: usize, heap: u64| println!("| {name} | {size} | {heap} |");
    let (breaker, heap) = heap_of(|| CircuitBreaker::new("memory/count", BreakerConfig::new()));
    size_row(
        "backstop, `count(100)`",
        std::mem::size_of_val(&breaker),
        heap,
    );
    let time = BreakerConfig::new().with_window(Window::Time(Duration::from_secs(10)));
    let (breaker, heap) = heap_of(|| CircuitBreaker::new("memory/time", time));
    size_row(
        "backstop, `time(10s)`",
        std::mem::size_of_val(&breaker),
        heap,
    );
    let handle = std::mem::size_of::<backstop::BreakerHandle>();
    size_row("backstop, the `static` handle of a fn", handle, 0);
    let (failsafe, heap) = heap_of(|| failsafe::Config::new().build());
    size_row(
        "failsafe, default policy",
        std::mem::size_of_val(&failsafe),
        heap,
    );
    let (recloser, heap) = heap_of(b::recloser_closed);
    size_row(
        "recloser, ring of 100",
        std::mem::size_of_val(&recloser),
        heap,
    );
    let (tower, heap) = heap_of(b::tower_closed);
    size_row(
        "tower-resilience, window of 100",
        std::mem::size_of_val(&tower),
        heap,
    );
    drop((failsafe, recloser, tower));
    // What a call through a backstop breaker carries from admission to its outcome.
    let permit = std::mem::size_of::<backstop::Permit<'static>>();
    let admission = std::mem::size_of::<Result<backstop::Permit<'static>, backstop::CircuitOpen>>();
    println!("\nA `Permit` is {permit} B; `try_acquire` returns {admission} B.");

    println!("\n## Breakers: heap allocations per call (bytes)\n");
    println!("| contender | closed | rejected | half-open cycle |");
    println!("|---|---|---|---|");
    let peers = b::Peers::closed();
    let probing = b::Peers::probing();
    let through = breaker_per_call(|| assert!(b::Plain.call(INPUT, false).is_ok()));
    println!("| plain fn | {through} | n/a | n/a |");
    // The atomic-load reference rejects through a gate of its own, already shut.
    let through = breaker_per_call(|| {
        assert!(b::AtomicLoad::<false>.call(INPUT, false).is_ok());
    });
    let rejected = breaker_per_call(|| {
        assert_eq!(b::AtomicLoad::<true>.call(INPUT, false), Err(Refused::Open));
    });
    println!("| atomic load | {through} | {rejected} | n/a |");
    // The fns' breakers are registered on their first call; start from an empty window.
    b::BackstopCount
        .call(INPUT, false)
        .expect("a new breaker is closed");
    backstop::breaker(b::COUNT).expect("registered").reset();
    b::BackstopProbe
        .call(INPUT, false)
        .expect("a new breaker is closed");
    breaker_row(
        "`#[circuit_breaker]`",
        &mut b::BackstopCount,
        Some((&mut b::BackstopProbe, 1, 1)),
    );
    b::BackstopTime
        .call(INPUT, false)
        .expect("a new breaker is closed");
    backstop::breaker(b::TIME).expect("registered").reset();
    breaker_row(
        "`#[circuit_breaker]`, time window",
        &mut b::BackstopTime,
        None,
    );
    breaker_row(
        "failsafe",
        &mut b::Failsafe(&peers.failsafe),
        Some((&mut b::Failsafe(&probing.failsafe), 1, 1)),
    );
    breaker_row(
        "recloser",
        &mut b::Recloser(&peers.recloser),
        Some((&mut b::Recloser(&probing.recloser), 2, 2)),
    );
    breaker_row(
        "tower-resilience",
        &mut b::Tower(peers.tower.clone()),
        Some((&mut b::Tower(probing.tower.clone()), 1, 1)),
    );
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

    breakers();
}
