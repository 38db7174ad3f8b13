//! What the body of a retried function can know about the call it is part of.

use std::fmt;

use crate::jitter::with_thread_rng;

/// The current attempt of a retried call, as the `context` option of `#[retry]` hands it
/// to the function's body.
///
/// # Examples
///
/// ```
/// use retry_core::AttemptContext;
///
/// let ctx = AttemptContext::new(2, retry_core::IdempotencyKey::random());
/// assert_eq!(ctx.attempt(), 2);
/// assert!(!ctx.is_first());
/// assert_eq!(ctx.idempotency_key().to_string().len(), 32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptContext {
    attempt: u32,
    key: IdempotencyKey,
}

impl AttemptContext {
    /// The context of attempt number `attempt` (the first is 1) of the call keyed `key`.
    #[must_use]
    pub const fn new(attempt: u32, key: IdempotencyKey) -> Self {
        AttemptContext { attempt, key }
    }

    /// This attempt's number; the first attempt is 1.
    #[must_use]
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether this is the first attempt rather than a retry.
    #[must_use]
    pub const fn is_first(&self) -> bool {
        self.attempt <= 1
    }

    /// A key drawn once per call and the same for every attempt of that call: send it as
    /// an `Idempotency-Key` header so that the server can tell a retry from a new request.
    #[must_use]
    pub const fn idempotency_key(&self) -> IdempotencyKey {
        self.key
    }
}

/// A random 128-bit key that names one call across its attempts; displays as 32 lowercase
/// hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(u128);

impl IdempotencyKey {
    /// A fresh key from this thread's fast random generator. It is unique enough to tell
    /// calls apart; it is not a secret.
    #[must_use]
    pub fn random() -> Self {
        IdempotencyKey(with_thread_rng(rand::Rng::random))
    }

    /// The key as a number.
    #[must_use]
    pub const fn as_u128(&self) -> u128 {
        self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_between_calls_and_print_as_hex() {
        let (a, b) = (IdempotencyKey::random(), IdempotencyKey::random());
        assert_ne!(a, b);
        assert_eq!(
            IdempotencyKey(0xab).to_string(),
            format!("{}ab", "0".repeat(30))
        );
    }
}
