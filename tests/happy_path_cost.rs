//! What `#[retry]` costs a call that succeeds the first time: no allocation, and a future
//! only somewhat larger than the plain fn's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use backstop::retry;

/// Counts the allocations made by the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator; the counter is a thread-local `Cell` that does
// not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
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

fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

#[retry(attempts = 5, backoff = exponential(10ms, factor = 2, max = 1s), max_elapsed = 10s)]
fn lookup(key: &str, shift: u32) -> std::io::Result<usize> {
    Ok(key.len() << shift)
}

#[retry(attempts = 5, timeout = 1s, max_elapsed = 10s, context = ctx)]
async fn lookup_async(key: &str, shift: u32) -> std::io::Result<usize> {
    Ok((key.len() << shift) + ctx.attempt() as usize - 1)
}

async fn plain_async(key: &str, shift: u32) -> std::io::Result<usize> {
    Ok(key.len() << shift)
}

#[retry(attempts = 5)]
async fn same_body_async(key: &str, shift: u32) -> std::io::Result<usize> {
    Ok(key.len() << shift)
}

/// Polls once, outside any runtime; the bodies here never wait.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let future = pin!(future);
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

#[test]
fn a_sync_call_that_succeeds_allocates_nothing() {
    let (out, allocations) = allocations_during(|| lookup("abc", 1));
    assert_eq!(out.unwrap(), 6);
    assert_eq!(allocations, 0);
}

#[test]
fn an_async_call_that_succeeds_allocates_nothing() {
    let (out, allocations) = allocations_during(|| poll_once(lookup_async("abcd", 1)));
    assert_eq!(out.unwrap().unwrap(), 8);
    assert_eq!(allocations, 0);
}

#[test]
fn the_annotated_future_is_a_bounded_size_above_the_plain_one() {
    let plain = std::mem::size_of_val(&plain_async("k", 0));
    let annotated = std::mem::size_of_val(&same_body_async("k", 0));
    let with_timeout = std::mem::size_of_val(&lookup_async("k", 0));
    println!("plain {plain} B, #[retry] {annotated} B, with timeout and context {with_timeout} B");
    // The loop's state (policy reference, attempt count, start instant, previous delay)
    // plus the sleep future, which shares its space with the body's state.
    assert!(annotated > plain);
    assert!(annotated - plain <= 256, "overhead {} B", annotated - plain);
    assert!(
        with_timeout - plain <= 512,
        "overhead {} B",
        with_timeout - plain
    );
}
