//! What `#[retry(...)]` options mean, range-checked while the macro runs.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Path};

use crate::args::{self, CallShape, Errors, RETRY_OPTIONS, RawOption};
use crate::duration::DurationValue;
use crate::suggest;

/// The options of one `#[retry]`, each with the tokens it came from.
#[derive(Default)]
pub(crate) struct RetryConfig {
    pub(crate) attempts: Option<u32>,
    pub(crate) max_elapsed: Option<DurationValue>,
    pub(crate) max_retry_after: Option<DurationValue>,
    pub(crate) backoff: Option<BackoffConfig>,
    pub(crate) jitter: Option<Jitter>,
    /// The option's name is kept to point at it when the fn is not async.
    pub(crate) timeout: Option<(Ident, DurationValue)>,
    pub(crate) when: Option<Expr>,
    pub(crate) classify: Option<Expr>,
    pub(crate) on_retry: Option<Expr>,
    pub(crate) context: Option<Ident>,
    pub(crate) fallback: Option<Expr>,
    pub(crate) budget: Option<Path>,
    pub(crate) krate: Option<Path>,
}

pub(crate) enum BackoffConfig {
    Constant(DurationValue),
    Linear {
        initial: DurationValue,
        step: Option<DurationValue>,
        max: Option<DurationValue>,
    },
    Exponential {
        initial: DurationValue,
        factor: Option<f64>,
        max: Option<DurationValue>,
    },
}

#[derive(Clone, Copy)]
pub(crate) enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
}

const BACKOFFS: [&str; 3] = ["constant", "linear", "exponential"];
const JITTERS: [&str; 4] = ["none", "full", "equal", "decorrelated"];

impl RetryConfig {
    /// Reads every option, reporting all errors rather than the first.
    pub(crate) fn from_options(options: Vec<RawOption>) -> syn::Result<Self> {
        let mut config = RetryConfig::default();
        let mut errors = Errors::default();
        let mut seen: HashMap<String, Span> = HashMap::new();

        for RawOption { name, value } in options {
            let Some(key) = args::claim(&name, &RETRY_OPTIONS, &mut seen, &mut errors) else {
                continue;
            };
            match key.as_str() {
                "attempts" => {
                    config.attempts = errors.ok(args::integer(&value, "attempts", 1)).map(|n| n.0);
                }
                "max_elapsed" => {
                    config.max_elapsed = errors.ok(args::nonzero_duration(&value, "max_elapsed"));
                }
                "max_retry_after" => config.max_retry_after = errors.ok(args::duration(&value)),
                "timeout" => {
                    config.timeout = errors
                        .ok(args::nonzero_duration(&value, "timeout"))
                        .map(|d| (name, d));
                }
                "backoff" => config.backoff = errors.ok(backoff(&value)),
                "jitter" => config.jitter = errors.ok(jitter(&value)),
                "when" | "classify" => {
                    let other = if key == "when" { "classify" } else { "when" };
                    if seen.contains_key(other) {
                        errors.at(
                            name.span(),
                            format!(
                                "`{key}` cannot be combined with `{other}`: both decide which \
                                 errors are retried; keep one"
                            ),
                        );
                    } else if key == "when" {
                        config.when = Some(value);
                    } else {
                        config.classify = Some(value);
                    }
                }
                "on_retry" => config.on_retry = Some(value),
                "fallback" => config.fallback = Some(value),
                "context" => match args::ident(&value) {
                    Some(ident) => config.context = Some(ident),
                    None => errors.at(
                        value.span(),
                        "expected `context = <identifier>`: the name the body uses for the \
                         attempt's context",
                    ),
                },
                "budget" => {
                    config.budget = errors.ok(args::path(&value, "budget", "a retry budget"));
                }
                "crate" => config.krate = errors.ok(crate_path(&value)),
                _ => unreachable!("every name in RETRY_OPTIONS is handled"),
            }
        }

        errors.finish().map(|()| config)
    }
}

impl RetryConfig {
    /// The `Duration` expressions among the options, which the compiler checks.
    pub(crate) fn duration_expressions(&self) -> impl Iterator<Item = &Expr> {
        let backoff = match &self.backoff {
            Some(BackoffConfig::Constant(d)) => vec![Some(d)],
            Some(BackoffConfig::Linear { initial, step, max }) => {
                vec![Some(initial), step.as_ref(), max.as_ref()]
            }
            Some(BackoffConfig::Exponential { initial, max, .. }) => {
                vec![Some(initial), max.as_ref()]
            }
            None => Vec::new(),
        };
        let timeout = self.timeout.as_ref().map(|(_, d)| d);
        [
            self.max_elapsed.as_ref(),
            self.max_retry_after.as_ref(),
            timeout,
        ]
        .into_iter()
        .chain(backoff)
        .flatten()
        .filter_map(|d| match d {
            DurationValue::Expr(expr) => Some(expr),
            DurationValue::Known { .. } => None,
        })
    }
}

/// The facade's path: a plain module path, since the expansion imports from it.
fn crate_path(value: &Expr) -> syn::Result<Path> {
    let path = args::path(value, "crate", "the `backstop` crate")?;
    let plain = path.segments.iter().all(|s| s.arguments.is_none())
        && path.segments.first().is_some_and(|s| s.ident != "Self");
    if !plain {
        return Err(syn::Error::new(
            value.span(),
            "expected `crate = <path>` naming the `backstop` crate, such as `::backstop`",
        ));
    }
    Ok(path)
}

fn jitter(value: &Expr) -> syn::Result<Jitter> {
    let expected = || format!("expected `jitter = {}`", JITTERS.join(" | "));
    let Some(name) = args::ident(value) else {
        return Err(syn::Error::new(value.span(), expected()));
    };
    Ok(match name.to_string().as_str() {
        "none" => Jitter::None,
        "full" => Jitter::Full,
        "equal" => Jitter::Equal,
        "decorrelated" => Jitter::Decorrelated,
        other => {
            let message = match suggest::closest(other, &JITTERS) {
                Some(close) => format!("unknown jitter `{other}`; did you mean `{close}`?"),
                None => format!("unknown jitter `{other}`: {}", expected()),
            };
            return Err(syn::Error::new(name.span(), message));
        }
    })
}

fn backoff(value: &Expr) -> syn::Result<BackoffConfig> {
    let expected = "expected `backoff = constant(<duration>)`, `linear(<duration>, step = \
                    <duration>, max = <duration>)` or `exponential(<duration>, factor = \
                    <number>, max = <duration>)`";
    let Some(CallShape {
        name,
        positional,
        named,
    }) = args::call_shape(value)
    else {
        return Err(syn::Error::new(value.span(), expected));
    };
    let kind = name.to_string();
    let allowed: &[&str] = match kind.as_str() {
        "constant" => &[],
        "linear" => &["step", "max"],
        "exponential" => &["factor", "max"],
        other => {
            let message = match suggest::closest(other, &BACKOFFS) {
                Some(close) => format!("unknown backoff `{other}`; did you mean `{close}`?"),
                None => format!("unknown backoff `{other}`: {expected}"),
            };
            return Err(syn::Error::new(name.span(), message));
        }
    };
    let form = match kind.as_str() {
        "constant" => "constant(<duration>)",
        "linear" => "linear(<duration>, step = <duration>, max = <duration>)",
        _ => "exponential(<duration>, factor = <number>, max = <duration>)",
    };

    let mut errors = Errors::default();
    let initial = match positional.as_slice() {
        [initial] => errors.ok(args::duration(initial)),
        [] => {
            errors.at(
                name.span(),
                format!("`{kind}` needs its initial delay: expected `{form}`"),
            );
            None
        }
        [_, extra, ..] => {
            errors.at(
                extra.span(),
                format!("unexpected argument: expected `{form}`"),
            );
            None
        }
    };

    let mut step = None;
    let mut factor = None;
    let mut max = None;
    let mut seen = Vec::new();
    for (key, value) in &named {
        let text = key.to_string();
        if !allowed.contains(&text.as_str()) {
            let message = match suggest::closest(&text, allowed) {
                Some(close) => format!("`{kind}` has no `{text}`; did you mean `{close}`?"),
                None => format!("`{kind}` has no `{text}`: expected `{form}`"),
            };
            errors.at(key.span(), message);
            continue;
        }
        if seen.contains(&text) {
            errors.at(key.span(), format!("`{text}` is given more than once"));
            continue;
        }
        seen.push(text.clone());
        match text.as_str() {
            "step" => step = errors.ok(args::duration(value)),
            "max" => max = errors.ok(args::duration(value)),
            _ => factor = errors.ok(args::number(value, "`factor`")),
        }
    }

    if kind == "exponential" {
        if let Some(initial) = &initial {
            if initial.nanos() == Some(0) {
                errors.at(
                    initial.span(),
                    "an exponential backoff must start above zero",
                );
            }
        }
        if let Some((f, span)) = factor {
            if f < 1.0 {
                errors.at(span, format!("`factor` must be at least 1, found {f}"));
            }
        }
    }
    if let (Some(initial), Some(max)) = (&initial, &max) {
        if let (Some(low), Some(high)) = (initial.nanos(), max.nanos()) {
            if high < low {
                errors.at(max.span(), "`max` is below the initial delay");
            }
        }
    }
    errors.finish()?;

    let Some(initial) = initial else {
        return Err(syn::Error::new(name.span(), expected));
    };
    Ok(match kind.as_str() {
        "constant" => BackoffConfig::Constant(initial),
        "linear" => BackoffConfig::Linear { initial, step, max },
        _ => BackoffConfig::Exponential {
            initial,
            factor: factor.map(|f| f.0),
            max,
        },
    })
}
