//! A client that survives a flaky HTTP service.
//!
//! The example starts its own service on 127.0.0.1 (an ephemeral port) that fails the way
//! real ones do: it answers 503, asks for a pause with `429 Too Many Requests` and
//! `Retry-After`, hangs, and sometimes answers 200. The client is an ordinary async fn with
//! `#[retry]` on it; the output shows each retry and what came back. Then a second service
//! goes down for good, and a circuit breaker stops the client from hammering it.
//!
//! Run it with `cargo run --example quickstart`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backstop::{
    AttemptState, CircuitOpen, Classification, Retryable, TimedOut, circuit_breaker, retry,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// What can go wrong when fetching.
#[derive(Debug)]
enum FetchError {
    /// The connection failed: refused, reset, closed early.
    Io(std::io::Error),
    /// The attempt took longer than its timeout.
    TimedOut,
    /// The service answered with an error status, maybe with a `Retry-After`.
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// The circuit breaker in front of the service is open: the request was not sent.
    Open(CircuitOpen),
}

impl Retryable for FetchError {
    fn classify(&self) -> Classification {
        match self {
            FetchError::Io(error) => error.classify(),
            FetchError::TimedOut => Classification::Transient,
            FetchError::Status {
                retry_after: Some(wait),
                ..
            } => Classification::RetryAfter(*wait),
            FetchError::Status { code, .. } if *code >= 500 => Classification::Transient,
            FetchError::Status { .. } => Classification::Permanent,
            FetchError::Open(open) => open.classify(),
        }
    }
}

impl From<TimedOut> for FetchError {
    fn from(_: TimedOut) -> Self {
        FetchError::TimedOut
    }
}

impl From<CircuitOpen> for FetchError {
    fn from(open: CircuitOpen) -> Self {
        FetchError::Open(open)
    }
}

impl From<std::io::Error> for FetchError {
    fn from(error: std::io::Error) -> Self {
        FetchError::Io(error)
    }
}

fn log_retry(error: &FetchError, state: &AttemptState) {
    println!(
        "  attempt {} failed after {:>4} ms: {error:?}; retrying in {} ms",
        state.attempt,
        state.elapsed.as_millis(),
        state.next_delay.as_millis()
    );
}

/// Fetches `path`, retrying transient failures with jittered exponential backoff, each
/// attempt limited to 300 ms, the whole call to 5 s.
#[retry(
    attempts = 6,
    backoff = exponential(50ms, factor = 2, max = 400ms),
    jitter = full,
    timeout = 300ms,
    max_elapsed = 5s,
    on_retry = log_retry,
    context = ctx,
)]
async fn fetch(address: &str, path: &str) -> Result<String, FetchError> {
    get(address, path, &ctx.idempotency_key().to_string()).await
}

/// Asks a service that may be down for good: each attempt goes through a breaker that
/// opens after four failures, so once the service is known to be down, calls fail at once
/// instead of adding load. The breaker asks for 5 s, more than the retry will wait.
#[retry(attempts = 3, backoff = constant(20ms), max_retry_after = 1s)]
#[circuit_breaker(name = "quickstart-status", window = count(4), min_calls = 4, open_for = 5s)]
async fn status(address: &str) -> Result<String, FetchError> {
    get(address, "/status", "-").await
}

/// One HTTP/1.1 GET over a fresh connection; a status other than 200 is an error.
async fn get(address: &str, path: &str, key: &str) -> Result<String, FetchError> {
    let mut stream = TcpStream::connect(address).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nIdempotency-Key: {key}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;

    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let code: u16 = lines
        .next()
        .and_then(|status| status.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad status"))?;
    let retry_after = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .map(Duration::from_secs);
    if code != 200 {
        return Err(FetchError::Status { code, retry_after });
    }
    Ok(body.to_string())
}

/// The behaviour of the flaky service for its n-th request, in a cycle.
#[derive(Clone, Copy)]
enum Behaviour {
    Unavailable,
    TooManyRequests,
    Hang,
    Ok,
    NotFound,
}

const SCRIPT: [Behaviour; 7] = [
    Behaviour::Unavailable,
    Behaviour::Unavailable,
    Behaviour::Ok,
    Behaviour::TooManyRequests,
    Behaviour::Hang,
    Behaviour::Ok,
    Behaviour::NotFound,
];

/// A service that is down: every request gets a 503.
async fn down_service(listener: TcpListener, served: Arc<AtomicUsize>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        served.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
                .await;
        });
    }
}

/// Serves `SCRIPT` in order, one connection at a time.
async fn flaky_service(listener: TcpListener, served: Arc<AtomicUsize>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let n = served.fetch_add(1, Ordering::SeqCst);
        let behaviour = SCRIPT[n % SCRIPT.len()];
        tokio::spawn(async move {
            let mut buffer = [0u8; 1024];
            // One read is enough for the small requests of this example.
            let _ = stream.read(&mut buffer).await;
            let response = match behaviour {
                Behaviour::Unavailable => "HTTP/1.1 503 Service Unavailable\r\n\r\n".to_string(),
                Behaviour::TooManyRequests => {
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n".to_string()
                }
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
                Behaviour::Ok => format!("HTTP/1.1 200 OK\r\n\r\nhello from request {n}"),
                Behaviour::NotFound => "HTTP/1.1 404 Not Found\r\n\r\n".to_string(),
            };
            let _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let served = Arc::new(AtomicUsize::new(0));
    tokio::spawn(flaky_service(listener, Arc::clone(&served)));
    println!("flaky service listening on {address}\n");

    for (call, path) in ["/first", "/second", "/missing"].into_iter().enumerate() {
        let start = Instant::now();
        println!("call {} GET {path}", call + 1);
        match fetch(&address, path).await {
            Ok(body) => println!("  => 200 {body:?} in {} ms\n", start.elapsed().as_millis()),
            Err(error) => {
                println!(
                    "  => gave up with {error:?} in {} ms\n",
                    start.elapsed().as_millis()
                )
            }
        }
    }
    println!(
        "the service saw {} requests for 3 calls\n",
        served.load(Ordering::SeqCst)
    );

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let down = Arc::new(AtomicUsize::new(0));
    tokio::spawn(down_service(listener, Arc::clone(&down)));
    println!("a second service, down for good, on {address}\n");
    for call in 1..=3 {
        match status(&address).await {
            Ok(body) => println!("call {call} => {body:?}"),
            Err(FetchError::Open(open)) => println!("call {call} => rejected: {open}"),
            Err(error) => println!("call {call} => gave up with {error:?}"),
        }
    }
    let breaker = backstop::breaker("quickstart-status").expect("registered on first use");
    println!(
        "\nthe breaker is {:?} after {} failures; the service saw {} requests for 3 calls of \
         up to 3 attempts each",
        breaker.state(),
        breaker.metrics().failures,
        down.load(Ordering::SeqCst)
    );
    Ok(())
}
