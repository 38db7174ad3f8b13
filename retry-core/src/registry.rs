//! The process-wide registry: breakers and retry budgets by name.
//!
//! A name is an identity: every function that gives one name shares one breaker (or one
//! budget). The first registration of a name wins and lives as long as the process; a later
//! registration with another configuration is never merged into it. Lookups take a lock, so
//! generated code resolves its breaker once, through a [`BreakerHandle`] in a `static`,
//! and keeps the `&'static` reference.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::log;
use crate::{BreakerConfig, BreakerState, BudgetConfig, CircuitBreaker, InvalidBreakerConfig};
use crate::{InvalidBudget, RetryBudget};

static BREAKERS: Mutex<BTreeMap<&'static str, &'static CircuitBreaker>> =
    Mutex::new(BTreeMap::new());
static BUDGETS: Mutex<BTreeMap<&'static str, &'static RetryBudget>> = Mutex::new(BTreeMap::new());
/// The registration problems met by handles, which cannot return them.
static PROBLEMS: Mutex<Vec<RegistryError>> = Mutex::new(Vec::new());

/// Nothing is left half-done under these locks, so a poisoned one is taken over.
fn lock<T>(mutex: &'static Mutex<T>) -> std::sync::MutexGuard<'static, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The breaker registered under `name`, if any.
///
/// # Examples
///
/// ```
/// use retry_core::{BreakerConfig, BreakerState};
///
/// retry_core::register_breaker("doc-payments", BreakerConfig::new()).unwrap();
///
/// let breaker = retry_core::breaker("doc-payments").unwrap();
/// assert_eq!(breaker.state(), BreakerState::Closed);
/// breaker.force_open(); // an operator takes the service out
/// assert!(breaker.try_acquire().is_err());
/// assert!(retry_core::breaker("doc-nothing").is_none());
/// ```
#[must_use]
pub fn breaker(name: &str) -> Option<&'static CircuitBreaker> {
    lock(&BREAKERS).get(name).copied()
}

/// Every registered breaker, by name.
#[must_use]
pub fn breakers() -> Vec<&'static CircuitBreaker> {
    lock(&BREAKERS).values().copied().collect()
}

/// Registers a breaker under `name`, or finds the one already there with the same
/// configuration.
///
/// # Errors
///
/// [`RegistryError::InvalidBreaker`] when `config` does not validate, and
/// [`RegistryError::BreakerConflict`] when `name` is taken by a breaker with another
/// configuration: that one stays, and the error describes both.
// The error carries both configurations by value so that callers can match on them; it is
// returned once per registration, off any hot path, so its size does not matter.
#[allow(clippy::result_large_err)]
pub fn register_breaker(
    name: &'static str,
    config: BreakerConfig,
) -> Result<&'static CircuitBreaker, RegistryError> {
    enter_breaker(name, config).map_err(|(error, _)| error)
}

/// Like [`register_breaker`], and on a conflict also hands back the breaker already there.
#[allow(clippy::result_large_err)] // as for `register_breaker`
fn enter_breaker(
    name: &'static str,
    config: BreakerConfig,
) -> Result<&'static CircuitBreaker, (RegistryError, Option<&'static CircuitBreaker>)> {
    if let Err(error) = config.validate() {
        return Err((RegistryError::InvalidBreaker { name, error }, None));
    }
    let mut breakers = lock(&BREAKERS);
    if let Some(&registered) = breakers.get(name) {
        if *registered.config() == config {
            return Ok(registered);
        }
        let error = RegistryError::BreakerConflict {
            name,
            registered: *registered.config(),
            requested: config,
        };
        return Err((error, Some(registered)));
    }
    // Leaked on purpose, once per name: breakers live as long as the process, so that calls
    // can keep a plain `&'static` to theirs.
    let breaker = Box::leak(Box::new(CircuitBreaker::build(
        name,
        config,
        BreakerState::Closed,
    )));
    breakers.insert(name, breaker);
    Ok(breaker)
}

/// The retry budget registered under `name`, if any.
#[must_use]
pub fn budget(name: &str) -> Option<&'static RetryBudget> {
    lock(&BUDGETS).get(name).copied()
}

/// Registers a full retry budget under `name` (see [`RetryBudget::new`]), or finds the one
/// already there with the same settings.
///
/// # Errors
///
/// [`RegistryError::InvalidBudget`] when the settings do not validate, and
/// [`RegistryError::BudgetConflict`] when `name` is taken by a budget with other settings:
/// that one stays, and the error describes both.
///
/// # Examples
///
/// ```
/// let budget = retry_core::register_budget("doc-search", 10, 0.1).unwrap();
/// assert!(std::ptr::eq(budget, retry_core::budget("doc-search").unwrap()));
/// assert!(retry_core::register_budget("doc-search", 20, 0.1).is_err());
/// ```
#[allow(clippy::result_large_err)] // as for `register_breaker`
pub fn register_budget(
    name: &'static str,
    max_tokens: u32,
    token_ratio: f64,
) -> Result<&'static RetryBudget, RegistryError> {
    enter_budget(name, max_tokens, token_ratio).map_err(|(error, _)| error)
}

#[allow(clippy::result_large_err)] // as for `register_breaker`
fn enter_budget(
    name: &'static str,
    max_tokens: u32,
    token_ratio: f64,
) -> Result<&'static RetryBudget, (RegistryError, Option<&'static RetryBudget>)> {
    let budget = RetryBudget::new(max_tokens, token_ratio);
    if let Err(error) = budget.validate() {
        return Err((RegistryError::InvalidBudget { name, error }, None));
    }
    let mut budgets = lock(&BUDGETS);
    if let Some(&registered) = budgets.get(name) {
        if registered.config() == budget.config() {
            return Ok(registered);
        }
        let error = RegistryError::BudgetConflict {
            name,
            registered: registered.config(),
            requested: budget.config(),
        };
        return Err((error, Some(registered)));
    }
    let budget = Box::leak(Box::new(budget));
    budgets.insert(name, budget);
    Ok(budget)
}

/// The registration problems that [`BreakerHandle`]s and [`BudgetHandle`]s met, which they
/// cannot return: each handle reports its own once, when first used. With the `tracing`
/// feature each is also logged as a warning.
#[must_use]
pub fn registry_problems() -> Vec<RegistryError> {
    lock(&PROBLEMS).clone()
}

fn report(problem: RegistryError) {
    log::registry_problem(&problem);
    lock(&PROBLEMS).push(problem);
}

/// A registration that could not be made as asked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The breaker's configuration does not validate.
    InvalidBreaker {
        /// The name asked for.
        name: &'static str,
        /// What is wrong.
        error: InvalidBreakerConfig,
    },
    /// The name is taken by a breaker with another configuration, which stays.
    BreakerConflict {
        /// The name.
        name: &'static str,
        /// The configuration of the breaker registered first, which is in force.
        registered: BreakerConfig,
        /// The configuration that was refused.
        requested: BreakerConfig,
    },
    /// The budget's settings do not validate.
    InvalidBudget {
        /// The name asked for.
        name: &'static str,
        /// What is wrong.
        error: InvalidBudget,
    },
    /// The name is taken by a budget with other settings, which stays.
    BudgetConflict {
        /// The name.
        name: &'static str,
        /// The settings of the budget registered first, which are in force.
        registered: BudgetConfig,
        /// The settings that were refused.
        requested: BudgetConfig,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::InvalidBreaker { name, error } => {
                write!(
                    f,
                    "circuit breaker `{name}` has an invalid configuration: {error}"
                )
            }
            RegistryError::BreakerConflict {
                name,
                registered,
                requested,
            } => write!(
                f,
                "circuit breaker `{name}` is already registered with another configuration; \
                 keeping ({registered}), refusing ({requested})"
            ),
            RegistryError::InvalidBudget { name, error } => {
                write!(f, "retry budget `{name}` has invalid settings: {error}")
            }
            RegistryError::BudgetConflict {
                name,
                registered,
                requested,
            } => write!(
                f,
                "retry budget `{name}` is already registered with other settings; \
                 keeping ({registered}), refusing ({requested})"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// A breaker in the registry, resolved on first use: what `#[circuit_breaker]` keeps in a
/// `static`, so that each call costs one atomic load instead of a lookup.
///
/// [`get`](Self::get) never fails. On a conflict (the name is taken by a breaker with
/// another configuration), it uses the breaker registered first, and reports the conflict
/// through [`registry_problems`] (and a warning with the `tracing` feature). An invalid
/// configuration, which the attribute rejects at compile time, gives a forced-closed
/// breaker outside the registry, that never rejects a call, and is reported the same way.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use retry_core::{BreakerConfig, BreakerHandle};
///
/// static QUOTES: BreakerHandle = BreakerHandle::new(
///     "doc-quotes",
///     BreakerConfig::new().with_open_for(Duration::from_secs(10)),
/// );
///
/// let answer: std::io::Result<u32> = QUOTES.get().call(|| Ok(7));
/// assert_eq!(answer.unwrap(), 7);
/// assert!(std::ptr::eq(QUOTES.get(), retry_core::breaker("doc-quotes").unwrap()));
/// ```
pub struct BreakerHandle {
    name: &'static str,
    config: BreakerConfig,
    cell: OnceLock<&'static CircuitBreaker>,
}

impl BreakerHandle {
    /// A handle on the breaker `name` with `config`; nothing is registered until
    /// [`get`](Self::get).
    #[must_use]
    pub const fn new(name: &'static str, config: BreakerConfig) -> Self {
        BreakerHandle {
            name,
            config,
            cell: OnceLock::new(),
        }
    }

    /// The breaker, registered on the first call.
    #[inline]
    pub fn get(&self) -> &'static CircuitBreaker {
        self.cell
            .get_or_init(|| match enter_breaker(self.name, self.config) {
                Ok(breaker) => breaker,
                Err((problem, registered)) => {
                    report(problem);
                    registered.unwrap_or_else(|| {
                        let fallback = CircuitBreaker::build(
                            self.name,
                            BreakerConfig::DEFAULT,
                            BreakerState::ForcedClosed,
                        );
                        Box::leak(Box::new(fallback))
                    })
                }
            })
    }

    /// The breaker's name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration this handle asks for (the breaker's own may differ on a conflict).
    #[must_use]
    pub const fn config(&self) -> &BreakerConfig {
        &self.config
    }
}

impl fmt::Debug for BreakerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerHandle")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("resolved", &self.cell.get().is_some())
            .finish()
    }
}

/// A retry budget in the registry, resolved on first use, for a `static`.
///
/// [`get`](Self::get) never fails: on a conflict it uses the budget registered first, and
/// invalid settings give a budget outside the registry built from them as they are (see
/// [`RetryBudget::new`]); both are reported through [`registry_problems`].
pub struct BudgetHandle {
    name: &'static str,
    max_tokens: u32,
    token_ratio: f64,
    cell: OnceLock<&'static RetryBudget>,
}

impl BudgetHandle {
    /// A handle on the budget `name` with these settings; nothing is registered until
    /// [`get`](Self::get).
    #[must_use]
    pub const fn new(name: &'static str, max_tokens: u32, token_ratio: f64) -> Self {
        BudgetHandle {
            name,
            max_tokens,
            token_ratio,
            cell: OnceLock::new(),
        }
    }

    /// The budget, registered on the first call.
    #[inline]
    pub fn get(&self) -> &'static RetryBudget {
        self.cell.get_or_init(
            || match enter_budget(self.name, self.max_tokens, self.token_ratio) {
                Ok(budget) => budget,
                Err((problem, registered)) => {
                    report(problem);
                    registered.unwrap_or_else(|| {
                        Box::leak(Box::new(RetryBudget::new(
                            self.max_tokens,
                            self.token_ratio,
                        )))
                    })
                }
            },
        )
    }

    /// The budget's name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Debug for BudgetHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BudgetHandle")
            .field("name", &self.name)
            .field("max_tokens", &self.max_tokens)
            .field("token_ratio", &self.token_ratio)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{InvalidBreakerConfig, Window};

    const SMALL: BreakerConfig = BreakerConfig::new()
        .with_window(Window::Count(4))
        .with_min_calls(2);

    #[test]
    fn one_name_is_one_breaker() {
        let first = register_breaker("registry-shared", SMALL).unwrap();
        let again = register_breaker("registry-shared", SMALL).unwrap();
        assert!(std::ptr::eq(first, again));
        assert!(std::ptr::eq(first, breaker("registry-shared").unwrap()));
        assert!(breakers().iter().any(|b| std::ptr::eq(*b, first)));
        // What one caller records, the other sees.
        first.try_acquire().unwrap().failure();
        assert_eq!(again.metrics().calls, 1);
    }

    #[test]
    fn a_second_config_under_one_name_is_refused_and_described() {
        let first = register_breaker("registry-conflict", SMALL).unwrap();
        let other = SMALL.with_open_for(Duration::from_secs(5));
        let err = register_breaker("registry-conflict", other).unwrap_err();
        assert_eq!(
            err,
            RegistryError::BreakerConflict {
                name: "registry-conflict",
                registered: SMALL,
                requested: other,
            }
        );
        assert_eq!(
            err.to_string(),
            "circuit breaker `registry-conflict` is already registered with another \
             configuration; keeping (failure_rate = 0.5, window = count(4), min_calls = 2, \
             open_for = 30s, half_open_calls = 3), refusing (failure_rate = 0.5, \
             window = count(4), min_calls = 2, open_for = 5s, half_open_calls = 3)"
        );
        // The first breaker stays, unchanged.
        assert!(std::ptr::eq(first, breaker("registry-conflict").unwrap()));
        assert_eq!(*first.config(), SMALL);
    }

    #[test]
    fn an_invalid_config_is_refused_and_not_registered() {
        let err = register_breaker("registry-invalid", SMALL.with_min_calls(0)).unwrap_err();
        assert_eq!(
            err,
            RegistryError::InvalidBreaker {
                name: "registry-invalid",
                error: InvalidBreakerConfig::ZeroMinCalls,
            }
        );
        assert!(breaker("registry-invalid").is_none());
    }

    #[test]
    fn a_handle_keeps_the_first_breaker_and_reports_the_conflict() {
        static FIRST: BreakerHandle = BreakerHandle::new("registry-handles", SMALL);
        static SECOND: BreakerHandle =
            BreakerHandle::new("registry-handles", SMALL.with_half_open_calls(1));
        let first = FIRST.get();
        assert!(std::ptr::eq(first, FIRST.get()));
        assert!(std::ptr::eq(first, SECOND.get()));
        assert_eq!(first.config().half_open_calls(), 3);
        let is_ours = |problem: &RegistryError| {
            matches!(problem, RegistryError::BreakerConflict { name, .. }
                if *name == "registry-handles")
        };
        let reported = registry_problems().into_iter().filter(is_ours).count();
        assert_eq!(reported, 1, "reported once, when the handle was first used");
    }

    #[test]
    fn a_handle_with_an_invalid_config_gets_a_breaker_that_never_rejects() {
        static BROKEN: BreakerHandle =
            BreakerHandle::new("registry-broken", SMALL.with_failure_rate(2.0));
        let breaker = BROKEN.get();
        assert_eq!(breaker.state(), BreakerState::ForcedClosed);
        for _ in 0..10 {
            breaker.try_acquire().unwrap().failure();
        }
        assert!(breaker.try_acquire().is_ok());
        assert!(super::breaker("registry-broken").is_none());
        assert!(
            registry_problems().contains(&RegistryError::InvalidBreaker {
                name: "registry-broken",
                error: InvalidBreakerConfig::FailureRate(2.0),
            })
        );
    }

    #[test]
    fn budgets_are_shared_by_name_and_conflicts_are_refused() {
        let first = register_budget("registry-budget", 10, 0.1).unwrap();
        assert!(std::ptr::eq(
            first,
            register_budget("registry-budget", 10, 0.1).unwrap()
        ));
        assert!(std::ptr::eq(first, budget("registry-budget").unwrap()));
        let err = register_budget("registry-budget", 10, 0.5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "retry budget `registry-budget` is already registered with other settings; \
             keeping (max_tokens = 10, token_ratio = 0.1), refusing (max_tokens = 10, \
             token_ratio = 0.5)"
        );
        assert!(matches!(
            register_budget("registry-budget-bad", 0, 0.1),
            Err(RegistryError::InvalidBudget { .. })
        ));

        static HANDLE: BudgetHandle = BudgetHandle::new("registry-budget", 10, 0.1);
        assert!(std::ptr::eq(first, HANDLE.get()));
        static OTHER: BudgetHandle = BudgetHandle::new("registry-budget", 3, 0.1);
        assert!(std::ptr::eq(first, OTHER.get()));
        assert!(registry_problems().iter().any(|p| matches!(
            p,
            RegistryError::BudgetConflict { requested, .. } if requested.max_tokens == 3
        )));
    }
}
