//! The runtime of [backstop](https://docs.rs/backstop): error classification, backoff and
//! jitter, and the drivers that retry blocking calls and futures.
//!
//! Most users depend on `backstop` and write `#[retry(...)]`; this crate is what the
//! generated code calls, and it is usable on its own:
//!
//! ```
//! use std::time::Duration;
//! use retry_core::{Backoff, Jitter, Retry, RetryPolicy};
//!
//! const POLICY: RetryPolicy = RetryPolicy::new()
//!     .with_attempts(5)
//!     .with_backoff(Backoff::constant(Duration::from_millis(1)))
//!     .with_jitter(Jitter::Full);
//!
//! let mut left = 2;
//! let result = Retry::new(&POLICY).call(|| {
//!     left -= 1;
//!     if left > 0 { Err(std::io::Error::from(std::io::ErrorKind::TimedOut)) } else { Ok(left) }
//! });
//! assert_eq!(result.unwrap(), 0);
//! ```
//!
//! # Features
//!
//! - `tokio` (default): async retries sleep and time out on tokio's timer, so tests with a
//!   paused clock see exact schedules without waiting.
//! - `tracing`: one `debug` event per retry and one `warn` event when a call gives up.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backoff;
mod blocking;
mod classify;
mod clock;
mod context;
mod error;
mod future;
mod hooks;
mod jitter;
mod log;
mod policy;
mod state;

#[doc(hidden)]
pub mod private;

pub use backoff::{Backoff, InvalidBackoff};
pub use blocking::Retry;
pub use classify::{Classification, Retryable};
pub use clock::{Clock, DefaultClock, Timer};
pub use context::{AttemptContext, IdempotencyKey};
pub use error::{CircuitOpen, TimedOut};
pub use future::{RetryFuture, Timeout};
pub use hooks::{ByRetryable, Classifier, OnRetry, When};
pub use jitter::{Jitter, seed_thread_rng, with_thread_rng};
pub use policy::RetryPolicy;
pub use state::{AttemptState, Decision, GiveUp, RetryState};
