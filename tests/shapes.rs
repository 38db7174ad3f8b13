//! Every kind of fn a user would annotate, sync and async: each one retries, and its body
//! behaves as it would unannotated.

use std::cell::Cell;
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backstop::{Classification, Retryable, retry};

#[derive(Debug, PartialEq, Clone)]
enum Error {
    Busy,
    Invalid,
}

impl Retryable for Error {
    fn classify(&self) -> Classification {
        Classification::from_bool(*self == Error::Busy)
    }
}

/// Fails with `Busy` until the counter reaches `succeed_at`.
fn step(counter: &Cell<u32>, succeed_at: u32) -> Result<u32, Error> {
    counter.set(counter.get() + 1);
    if counter.get() < succeed_at {
        Err(Error::Busy)
    } else {
        Ok(counter.get())
    }
}

#[retry(attempts = 4, backoff = constant(0ms))]
fn free_fn(counter: &Cell<u32>) -> Result<u32, Error> {
    step(counter, 3)
}

#[test]
fn free_fn_retries_until_success() {
    let counter = Cell::new(0);
    assert_eq!(free_fn(&counter), Ok(3));
}

#[retry(attempts = 3, backoff = constant(0ms))]
fn permanent(counter: &Cell<u32>) -> Result<u32, Error> {
    counter.set(counter.get() + 1);
    Err(Error::Invalid)
}

#[test]
fn permanent_errors_are_not_retried() {
    let counter = Cell::new(0);
    assert_eq!(permanent(&counter), Err(Error::Invalid));
    assert_eq!(counter.get(), 1);
}

#[retry(attempts = 3, backoff = constant(0ms))]
fn exhausted(counter: &Cell<u32>) -> Result<u32, Error> {
    counter.set(counter.get() + 1);
    Err(Error::Busy)
}

#[test]
fn the_last_error_comes_back_after_the_last_attempt() {
    let counter = Cell::new(0);
    assert_eq!(exhausted(&counter), Err(Error::Busy));
    assert_eq!(counter.get(), 3);
}

/// `?` and `return` end the attempt, not the loop.
#[retry(attempts = 5, backoff = constant(0ms))]
fn question_mark_and_return(counter: &Cell<u32>) -> Result<&'static str, Error> {
    let n = step(counter, 0)?;
    if n == 1 {
        return Err(Error::Busy);
    }
    let parsed: u32 = "7".parse().map_err(|_| Error::Invalid)?;
    let label = 'found: {
        if n == 2 {
            break 'found "second";
        }
        "later"
    };
    if n < 3 {
        Err(Error::Busy)?;
    }
    let doubled: Vec<u32> = (0..n).map(|x| x * parsed).collect();
    assert_eq!(doubled.len() as u32, n);
    Ok(label)
}

#[test]
fn question_mark_return_labels_and_closures_end_only_the_attempt() {
    let counter = Cell::new(0);
    assert_eq!(question_mark_and_return(&counter), Ok("later"));
    assert_eq!(counter.get(), 3);
}

/// Pattern arguments, `mut` arguments, owned arguments cloned per attempt.
#[retry(attempts = 3, backoff = constant(0ms))]
fn patterns(
    (a, b): (u8, u8),
    mut owned: Vec<u8>,
    counter: &Cell<u32>,
    _: u64,
) -> Result<Vec<u8>, Error> {
    owned.push(a + b);
    // The body consumes `owned` on every attempt; each attempt got its own clone.
    let out = owned;
    step(counter, 2).map(|_| out)
}

#[test]
fn each_attempt_gets_its_arguments_again() {
    let counter = Cell::new(0);
    assert_eq!(patterns((1, 2), vec![9], &counter, 0), Ok(vec![9, 3]));
    assert_eq!(counter.get(), 2);
}

#[retry(attempts = 3, backoff = constant(0ms))]
fn mutable_reference(log: &mut Vec<u32>) -> Result<usize, Error> {
    log.push(log.len() as u32);
    if log.len() < 3 {
        Err(Error::Busy)
    } else {
        Ok(log.len())
    }
}

#[test]
fn mutable_references_are_reborrowed_per_attempt() {
    let mut log = Vec::new();
    assert_eq!(mutable_reference(&mut log), Ok(3));
    assert_eq!(log, [0, 1, 2]);
}

/// Generics with lifetimes, where clauses and `impl Trait` arguments.
#[retry(attempts = 3, backoff = constant(0ms))]
pub(crate) fn generic<'a, T, E>(
    items: &'a [T],
    make_error: impl Fn() -> E + Clone,
    counter: &Cell<u32>,
) -> Result<&'a T, E>
where
    T: Debug,
    E: Retryable,
{
    counter.set(counter.get() + 1);
    if counter.get() < 2 {
        Err(make_error())
    } else {
        items.first().ok_or_else(make_error)
    }
}

#[test]
fn generic_fns_with_lifetimes_and_impl_trait() {
    let counter = Cell::new(0);
    let items = ["a", "b"];
    assert_eq!(generic(&items, || Error::Busy, &counter), Ok(&"a"));
    assert_eq!(counter.get(), 2);
}

/// Aliases of `Result`: `io::Result` and a crate-local one.
type AppResult<T> = Result<T, Error>;

#[retry(attempts = 3, backoff = constant(0ms))]
fn io_alias(counter: &Cell<u32>) -> std::io::Result<u32> {
    step(counter, 2).map_err(|_| std::io::ErrorKind::ConnectionReset.into())
}

#[retry(attempts = 3, backoff = constant(0ms))]
fn local_alias(counter: &Cell<u32>) -> AppResult<u32> {
    step(counter, 2)
}

#[test]
fn result_aliases_are_results() {
    let counter = Cell::new(0);
    assert_eq!(io_alias(&counter).unwrap(), 2);
    let counter = Cell::new(0);
    assert_eq!(local_alias(&counter), Ok(2));
}

/// # Safety
/// The pointer must be valid.
#[retry(attempts = 3, backoff = constant(0ms))]
unsafe fn unsafe_fn(counter: *const Cell<u32>) -> Result<u32, Error> {
    // SAFETY: the caller passes a valid pointer.
    let counter = unsafe { &*counter };
    step(counter, 2)
}

#[test]
fn unsafe_fns_stay_unsafe_and_retry() {
    let counter = Cell::new(0);
    // SAFETY: `counter` lives for the whole call.
    assert_eq!(unsafe { unsafe_fn(&counter) }, Ok(2));
}

struct Service {
    calls: u32,
    shared: AtomicU32,
}

impl Service {
    #[retry(attempts = 3, backoff = constant(0ms))]
    fn by_ref(&self) -> Result<u32, Error> {
        let n = self.shared.fetch_add(1, Ordering::Relaxed) + 1;
        if n < 2 { Err(Error::Busy) } else { Ok(n) }
    }

    #[retry(attempts = 3, backoff = constant(0ms))]
    fn by_mut(&mut self, add: u32) -> Result<u32, Error> {
        self.calls += add;
        if self.calls < 2 * add {
            Err(Error::Busy)
        } else {
            Ok(self.calls)
        }
    }

    #[retry(attempts = 3, backoff = constant(0ms))]
    fn by_arc(self: Arc<Self>) -> Result<u32, Error> {
        let n = self.shared.fetch_add(1, Ordering::Relaxed) + 1;
        if n < 2 { Err(Error::Busy) } else { Ok(n) }
    }

    #[retry(attempts = 3, backoff = constant(1s), jitter = none)]
    async fn async_mut(&mut self) -> Result<u32, Error> {
        self.calls += 1;
        tokio::task::yield_now().await;
        if self.calls < 3 {
            Err(Error::Busy)
        } else {
            Ok(self.calls)
        }
    }
}

fn service() -> Service {
    Service {
        calls: 0,
        shared: AtomicU32::new(0),
    }
}

#[test]
fn methods_with_every_receiver() {
    assert_eq!(service().by_ref(), Ok(2));
    assert_eq!(service().by_mut(5), Ok(10));
    assert_eq!(Arc::new(service()).by_arc(), Ok(2));
}

#[tokio::test(start_paused = true)]
async fn async_methods_borrow_self_mutably_across_attempts() {
    let mut service = service();
    let start = tokio::time::Instant::now();
    assert_eq!(service.async_mut().await, Ok(3));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

trait Fetch {
    fn fetch(&self, counter: &Cell<u32>) -> Result<u32, Error>;
    async fn fetch_async(&self, counter: &AtomicU32) -> Result<u32, Error>;
}

struct Impl;

impl Fetch for Impl {
    #[retry(attempts = 3, backoff = constant(0ms))]
    fn fetch(&self, counter: &Cell<u32>) -> Result<u32, Error> {
        step(counter, 3)
    }

    #[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
    async fn fetch_async(&self, counter: &AtomicU32) -> Result<u32, Error> {
        let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
        if n < 3 { Err(Error::Busy) } else { Ok(n) }
    }
}

#[tokio::test(start_paused = true)]
async fn trait_impl_methods_sync_and_async() {
    let counter = Cell::new(0);
    assert_eq!(Impl.fetch(&counter), Ok(3));
    let counter = AtomicU32::new(0);
    let start = tokio::time::Instant::now();
    assert_eq!(Impl.fetch_async(&counter).await, Ok(3));
    assert_eq!(start.elapsed(), Duration::from_millis(20));
}

/// Other attributes stay on the fn and keep working.
#[inline]
#[must_use = "the fetched value"]
#[allow(clippy::needless_pass_by_value, clippy::mixed_attributes_style)]
#[retry(attempts = 2, backoff = constant(0ms))]
fn with_attributes(value: String) -> Result<String, Error> {
    #![allow(unused_mut)]
    let mut copy = value;
    Ok(copy)
}

#[test]
fn other_attributes_are_kept() {
    assert_eq!(with_attributes("x".into()), Ok("x".into()));
}

#[retry(attempts = 2, backoff = constant(0ms))]
#[tracing::instrument(skip_all, fields(attempted = true))]
async fn instrumented(counter: &AtomicU32) -> Result<u32, Error> {
    let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
    if n < 2 { Err(Error::Busy) } else { Ok(n) }
}

#[tokio::test(start_paused = true)]
async fn tracing_instrument_composes() {
    let counter = AtomicU32::new(0);
    assert_eq!(instrumented(&counter).await, Ok(2));
}

#[retry(attempts = 3, backoff = constant(0ms))]
#[tokio::test(start_paused = true)]
async fn a_retried_test() -> Result<(), Error> {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    if RUNS.fetch_add(1, Ordering::Relaxed) < 1 {
        Err(Error::Busy)
    } else {
        Ok(())
    }
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[retry(attempts = 3, backoff = constant(5ms), timeout = 1s)]
async fn sendable(counter: &AtomicU32) -> std::io::Result<u32> {
    let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
    tokio::task::yield_now().await;
    if n < 2 {
        Err(std::io::ErrorKind::TimedOut.into())
    } else {
        Ok(n)
    }
}

#[tokio::test(start_paused = true)]
async fn futures_are_send_when_the_body_is() {
    let counter = AtomicU32::new(0);
    assert_eq!(assert_send(sendable(&counter)).await.unwrap(), 2);
}

#[tokio::test(start_paused = true)]
async fn annotated_futures_can_be_spawned() {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let handle = tokio::spawn(sendable(&COUNTER));
    assert_eq!(handle.await.unwrap().unwrap(), 2);
}

#[async_trait::async_trait]
trait Store {
    async fn load(&self, key: String, counter: &AtomicU32) -> Result<String, Error>;
}

struct Remote;

#[async_trait::async_trait]
impl Store for Remote {
    #[retry(attempts = 3, backoff = constant(10ms), jitter = none, timeout = 1s)]
    async fn load(&self, key: String, counter: &AtomicU32) -> Result<String, Error> {
        let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
        tokio::task::yield_now().await;
        if n < 3 {
            Err(Error::Busy)
        } else {
            Ok(format!("{key}{n}"))
        }
    }
}

impl From<backstop::TimedOut> for Error {
    fn from(_: backstop::TimedOut) -> Self {
        Error::Busy
    }
}

#[tokio::test(start_paused = true)]
async fn methods_rewritten_by_async_trait_retry_too() {
    let counter = AtomicU32::new(0);
    let start = tokio::time::Instant::now();
    let store: &dyn Store = &Remote;
    assert_eq!(store.load("k".into(), &counter).await, Ok("k3".into()));
    assert_eq!(start.elapsed(), Duration::from_millis(20));
}

#[retry(attempts = 3, backoff = constant(0ms), when = |e: &anyhow::Error| e.to_string() == "busy")]
fn with_anyhow(counter: &Cell<u32>) -> anyhow::Result<u32> {
    counter.set(counter.get() + 1);
    if counter.get() < 3 {
        anyhow::bail!("busy");
    }
    Ok(counter.get())
}

#[test]
fn anyhow_results_retry_through_when() {
    let counter = Cell::new(0);
    assert_eq!(with_anyhow(&counter).unwrap(), 3);
}
