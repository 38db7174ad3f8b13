//! With the `tracing` feature: one `debug` event per retry carrying the attempt, the delay
//! and the error, one `warn` when a call gives up, and nothing on the happy path.
#![cfg(feature = "tracing")]

use std::sync::{Arc, Mutex};

use backstop::{Retry, RetryPolicy, retry};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

type Events = Arc<Mutex<Vec<(Level, String)>>>;

/// Keeps every event's level and fields.
struct Capture(Events);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), fields.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn captured(f: impl FnOnce()) -> Vec<(Level, String)> {
    let events = Events::default();
    tracing::subscriber::with_default(Capture(Arc::clone(&events)), f);
    let events = events.lock().unwrap();
    events.clone()
}

#[retry(attempts = 3, backoff = constant(0ms))]
fn flaky(failures: &mut u32) -> std::io::Result<u32> {
    if *failures > 0 {
        *failures -= 1;
        return Err(std::io::ErrorKind::ConnectionReset.into());
    }
    Ok(7)
}

#[test]
fn the_happy_path_logs_nothing() {
    let events = captured(|| assert_eq!(flaky(&mut 0).unwrap(), 7));
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn each_retry_logs_one_debug_event_with_attempt_delay_and_error() {
    let events = captured(|| assert_eq!(flaky(&mut 2).unwrap(), 7));
    assert_eq!(events.len(), 2, "{events:?}");
    for (i, (level, fields)) in events.iter().enumerate() {
        assert_eq!(*level, Level::DEBUG);
        assert!(fields.contains(&format!("attempt={}", i + 1)), "{fields}");
        assert!(fields.contains("delay_ms=0.0"), "{fields}");
        assert!(fields.contains("ConnectionReset"), "{fields}");
    }
}

#[test]
fn giving_up_logs_one_warning() {
    let events = captured(|| assert!(flaky(&mut 5).is_err()));
    let levels: Vec<Level> = events.iter().map(|e| e.0).collect();
    assert_eq!(
        levels,
        [Level::DEBUG, Level::DEBUG, Level::WARN],
        "{events:?}"
    );
    assert!(events[2].1.contains("reason=Exhausted"), "{:?}", events[2]);
    assert!(events[2].1.contains("attempt=3"), "{:?}", events[2]);
}

#[test]
fn the_runtime_driver_logs_the_same_events() {
    const POLICY: RetryPolicy = RetryPolicy::new()
        .with_attempts(2)
        .with_backoff(backstop::Backoff::constant(std::time::Duration::ZERO));
    let events = captured(|| {
        let result: Result<(), std::io::Error> =
            Retry::new(&POLICY).call(|| Err(std::io::ErrorKind::TimedOut.into()));
        assert!(result.is_err());
    });
    let levels: Vec<Level> = events.iter().map(|e| e.0).collect();
    assert_eq!(levels, [Level::DEBUG, Level::WARN], "{events:?}");
}
