//! Retry budgets: a token bucket shared by many calls that stops retries when too many
//! calls fail, so that retrying never multiplies the load on a service that is down.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tokens are counted in thousandths, so that ratios such as 0.1 are exact.
const SCALE: u64 = 1000;

/// A retry budget, after gRPC's retry throttling.
///
/// The bucket holds up to `max_tokens` tokens and starts full. Each failed call takes one
/// token away, each successful call puts `token_ratio` back, and retries are allowed only
/// while more than half of `max_tokens` remain. With a ratio of 0.1, the budget stays open
/// while fewer than about one call in eleven fails; once it is exhausted, about one success
/// in ten is needed per failure to bring it back.
///
/// Report every attempt, first ones included: [`record_failure`](Self::record_failure) for
/// a failed one and [`record_success`](Self::record_success) for a successful one; ask
/// [`allow_retry`](Self::allow_retry) before retrying. Everything is one atomic operation:
/// no lock, no allocation. The ratio is rounded to thousandths.
///
/// Budgets are shared by name through the registry ([`budget`](crate::budget),
/// [`register_budget`](crate::register_budget)), or held in a `static`.
///
/// # Examples
///
/// ```
/// use retry_core::RetryBudget;
///
/// static BUDGET: RetryBudget = RetryBudget::new(4, 0.5);
///
/// assert!(BUDGET.allow_retry()); // 4 tokens of 4
/// BUDGET.record_failure();
/// assert!(BUDGET.allow_retry()); // 3 > 2
/// BUDGET.record_failure();
/// assert!(!BUDGET.allow_retry()); // 2 is not more than half
/// BUDGET.record_success();
/// assert!(BUDGET.allow_retry()); // 2.5
/// ```
pub struct RetryBudget {
    /// `max_tokens` in thousandths.
    max: u64,
    /// `token_ratio` in thousandths.
    ratio: u64,
    /// The tokens left, in thousandths.
    tokens: AtomicU64,
}

impl RetryBudget {
    /// A full budget of `max_tokens` that refills `token_ratio` per success.
    ///
    /// Any input makes a budget, so that this works in a `static`:
    /// [`validate`](Self::validate) tells whether it is a sensible one. A budget of 0 tokens
    /// never allows a retry; a ratio of 0 (or NaN, or below 0.0005) never refills.
    #[must_use]
    pub const fn new(max_tokens: u32, token_ratio: f64) -> Self {
        let max = max_tokens as u64 * SCALE;
        RetryBudget {
            max,
            ratio: thousandths(token_ratio),
            tokens: AtomicU64::new(max),
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// `max_tokens` of 0, and a `token_ratio` that is not finite or rounds to 0 thousandths.
    pub const fn validate(&self) -> Result<(), InvalidBudget> {
        if self.max == 0 {
            return Err(InvalidBudget::ZeroMaxTokens);
        }
        if self.ratio == 0 || self.ratio == u64::MAX {
            return Err(InvalidBudget::TokenRatio);
        }
        Ok(())
    }

    /// Whether a retry is allowed now: more than half of `max_tokens` are left.
    #[inline]
    #[must_use]
    pub fn allow_retry(&self) -> bool {
        // tokens > max / 2, without rounding.
        self.tokens.load(Ordering::Relaxed).saturating_mul(2) > self.max
    }

    /// A call succeeded: puts `token_ratio` back, up to `max_tokens`.
    #[inline]
    pub fn record_success(&self) {
        let (ratio, max) = (self.ratio, self.max);
        // `None` leaves a full bucket alone without writing to it.
        let _ = self
            .tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |tokens| {
                (tokens < max).then(|| tokens.saturating_add(ratio).min(max))
            });
    }

    /// A call failed: takes one token away, down to zero.
    #[inline]
    pub fn record_failure(&self) {
        let _ = self
            .tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |tokens| {
                (tokens > 0).then(|| tokens.saturating_sub(SCALE))
            });
    }

    /// The tokens left, to a thousandth.
    #[must_use]
    pub fn tokens(&self) -> f64 {
        self.tokens.load(Ordering::Relaxed) as f64 / SCALE as f64
    }

    /// The settings, as rounded.
    #[must_use]
    pub fn config(&self) -> BudgetConfig {
        BudgetConfig {
            max_tokens: u32::try_from(self.max / SCALE).unwrap_or(u32::MAX),
            token_ratio: self.ratio as f64 / SCALE as f64,
        }
    }
}

/// `value` in thousandths, rounded; 0 for NaN and anything not above zero, `u64::MAX` for
/// values too large to count.
const fn thousandths(value: f64) -> u64 {
    if value.is_nan() || value <= 0.0 {
        return 0;
    }
    // `as` saturates: infinity becomes u64::MAX.
    (value * SCALE as f64 + 0.5) as u64
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("config", &self.config())
            .field("tokens", &self.tokens())
            .finish()
    }
}

/// The settings of a [`RetryBudget`], as reported by registry conflicts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetConfig {
    /// The bucket's size.
    pub max_tokens: u32,
    /// Tokens put back per success, to a thousandth.
    pub token_ratio: f64,
}

impl fmt::Display for BudgetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "max_tokens = {}, token_ratio = {}",
            self.max_tokens, self.token_ratio
        )
    }
}

/// A [`RetryBudget`] setting out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidBudget {
    /// `max_tokens` is 0: no retry would ever be allowed.
    ZeroMaxTokens,
    /// `token_ratio` is not finite, or below 0.0005 (which rounds to 0 thousandths): the
    /// budget would never refill.
    TokenRatio,
}

impl fmt::Display for InvalidBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidBudget::ZeroMaxTokens => "`max_tokens` must be at least 1",
            InvalidBudget::TokenRatio => "`token_ratio` must be a finite number of at least 0.001",
        })
    }
}

impl std::error::Error for InvalidBudget {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_drain_a_token_and_successes_refill_the_ratio() {
        let budget = RetryBudget::new(10, 0.1);
        assert_eq!(budget.tokens(), 10.0);
        for _ in 0..4 {
            budget.record_failure();
        }
        assert_eq!(budget.tokens(), 6.0);
        assert!(budget.allow_retry());
        budget.record_failure();
        // 5 is exactly half: not more than half, so no retry.
        assert_eq!(budget.tokens(), 5.0);
        assert!(!budget.allow_retry());
        budget.record_success();
        assert_eq!(budget.tokens(), 5.1);
        assert!(budget.allow_retry());
    }

    #[test]
    fn tokens_stay_between_zero_and_the_maximum() {
        let budget = RetryBudget::new(3, 0.25);
        for _ in 0..10 {
            budget.record_failure();
        }
        assert_eq!(budget.tokens(), 0.0);
        for _ in 0..100 {
            budget.record_success();
        }
        assert_eq!(budget.tokens(), 3.0);
    }

    #[test]
    fn any_input_makes_a_budget_and_validate_says_which_are_wrong() {
        assert_eq!(RetryBudget::new(10, 0.1).validate(), Ok(()));
        assert_eq!(
            RetryBudget::new(0, 0.1).validate(),
            Err(InvalidBudget::ZeroMaxTokens)
        );
        assert!(!RetryBudget::new(0, 0.1).allow_retry());
        for ratio in [0.0, -1.0, 0.0004, f64::NAN, f64::INFINITY] {
            assert_eq!(
                RetryBudget::new(10, ratio).validate(),
                Err(InvalidBudget::TokenRatio),
                "{ratio}"
            );
        }
        let never_refills = RetryBudget::new(2, f64::NAN);
        never_refills.record_failure();
        never_refills.record_success();
        assert_eq!(never_refills.tokens(), 1.0);
        assert_eq!(
            RetryBudget::new(u32::MAX, 1e300).config().max_tokens,
            u32::MAX
        );
    }

    #[test]
    fn threads_share_one_budget_without_losing_updates() {
        let budget = RetryBudget::new(100_000, 1.0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..1_000 {
                        budget.record_failure();
                    }
                });
            }
        });
        assert_eq!(budget.tokens(), 96_000.0);
    }

    #[test]
    fn config_reports_the_rounded_settings() {
        let config = RetryBudget::new(10, 0.1234).config();
        assert_eq!(config.max_tokens, 10);
        assert_eq!(config.token_ratio, 0.123);
        assert_eq!(config.to_string(), "max_tokens = 10, token_ratio = 0.123");
    }
}
