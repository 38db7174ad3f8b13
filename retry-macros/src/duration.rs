//! Durations in attribute options: `250ms`, `1.5s`, `"2m"`, or a `Duration` expression.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Lit, UnOp};

use crate::suggest;

const UNITS: [(&str, u128); 6] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const UNIT_NAMES: [&str; 6] = ["ns", "us", "ms", "s", "m", "h"];

/// A duration option's value.
#[derive(Clone)]
pub(crate) enum DurationValue {
    /// Known while the macro runs, so it can be range-checked here.
    Known { nanos: u128, span: Span },
    /// An expression of type `Duration`, checked by the compiler and in const evaluation.
    Expr(Expr),
}

impl DurationValue {
    pub(crate) fn parse(expr: &Expr) -> syn::Result<Self> {
        match expr {
            Expr::Lit(ExprLit {
                lit: Lit::Int(lit), ..
            }) => literal(lit.base10_digits(), lit.suffix(), lit.span()),
            Expr::Lit(ExprLit {
                lit: Lit::Float(lit),
                ..
            }) => literal(lit.base10_digits(), lit.suffix(), lit.span()),
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => text(&lit.value(), lit.span()),
            Expr::Unary(ExprUnary {
                op: UnOp::Neg(_), ..
            }) => Err(syn::Error::new(
                expr.span(),
                "a duration cannot be negative",
            )),
            Expr::Lit(other) => Err(syn::Error::new(
                other.span(),
                "expected a duration such as `250ms`, `1.5s` or `\"2m\"`",
            )),
            other => Ok(DurationValue::Expr(other.clone())),
        }
    }

    /// The span to underline when this value is wrong.
    pub(crate) fn span(&self) -> Span {
        match self {
            DurationValue::Known { span, .. } => *span,
            DurationValue::Expr(expr) => expr.span(),
        }
    }

    /// `Some(nanos)` when known at expansion time.
    pub(crate) fn nanos(&self) -> Option<u128> {
        match self {
            DurationValue::Known { nanos, .. } => Some(*nanos),
            DurationValue::Expr(_) => None,
        }
    }

    /// Like [`to_tokens`](Self::to_tokens), and a `Duration` expression that evaluates to
    /// zero fails const evaluation with `message`; literal zeros were rejected earlier.
    pub(crate) fn to_nonzero_tokens(&self, message: &str, private: &TokenStream) -> TokenStream {
        let tokens = self.to_tokens();
        match self {
            DurationValue::Known { .. } => tokens,
            DurationValue::Expr(_) => {
                // Spanned on the user's expression, so a failed evaluation points there.
                let private = crate::expand::respan(private.clone(), self.span());
                quote_spanned!(self.span()=> #private::nonzero_duration(#tokens, #message))
            }
        }
    }

    /// An expression of type `::core::time::Duration`, usable in const context.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        match self {
            DurationValue::Known { nanos, span } => {
                // Fits: `literal` rejects anything past `Duration::MAX`.
                let secs = (*nanos / 1_000_000_000) as u64;
                let subsec = (*nanos % 1_000_000_000) as u32;
                quote_spanned!(*span=> ::core::time::Duration::new(#secs, #subsec))
            }
            DurationValue::Expr(expr) => {
                // The annotation makes a wrong type an error on the user's expression.
                quote!({ let __bs_duration: ::core::time::Duration = #expr; __bs_duration })
            }
        }
    }
}

/// A duration written inside a string literal, such as `"250ms"`.
fn text(value: &str, span: Span) -> syn::Result<DurationValue> {
    let value = value.trim();
    if value.starts_with('-') {
        return Err(syn::Error::new(span, "a duration cannot be negative"));
    }
    let split = value.find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E');
    let split = match split {
        // `1e3ms`: an exponent is part of the number.
        Some(i) => i,
        None => value.len(),
    };
    let (number, unit) = value.split_at(split);
    if number.trim().is_empty() {
        return Err(syn::Error::new(
            span,
            "expected a duration such as `\"250ms\"` or `\"1.5s\"`",
        ));
    }
    literal(number.trim().replace('_', "").as_str(), unit.trim(), span)
}

/// `digits` in `unit`, checked to fit in a `Duration` to the nanosecond.
fn literal(digits: &str, unit: &str, span: Span) -> syn::Result<DurationValue> {
    if unit.is_empty() {
        return Err(syn::Error::new(
            span,
            format!(
                "missing unit: write `{digits}ms` or `{digits}s` (units: {})",
                units()
            ),
        ));
    }
    let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        let hint = match suggest::closest(unit, &UNIT_NAMES) {
            Some(close) => format!("; did you mean `{close}`?"),
            None => String::new(),
        };
        return Err(syn::Error::new(
            span,
            format!("unknown unit `{unit}`: expected one of {}{hint}", units()),
        ));
    };
    let nanos = scaled(digits, scale).ok_or_else(|| {
        syn::Error::new(
            span,
            format!("expected a number of `{unit}`, found `{digits}`"),
        )
    })?;
    match nanos {
        Scaled::Exact(nanos) if nanos <= MAX_NANOS => Ok(DurationValue::Known { nanos, span }),
        Scaled::Exact(_) => Err(syn::Error::new(
            span,
            "duration is too large for `Duration`",
        )),
        Scaled::Fraction => Err(syn::Error::new(span, "duration is finer than a nanosecond")),
    }
}

const MAX_NANOS: u128 = (u64::MAX as u128) * 1_000_000_000 + 999_999_999;

enum Scaled {
    Exact(u128),
    Fraction,
}

/// `digits * scale` in whole nanoseconds, in exact decimal arithmetic.
fn scaled(digits: &str, scale: u128) -> Option<Scaled> {
    if digits.contains(['e', 'E']) {
        // Exponent forms are rare in durations; floating point is exact enough for them.
        let value: f64 = digits.parse().ok()?;
        let nanos = value * scale as f64;
        if !nanos.is_finite() || nanos < 0.0 {
            return None;
        }
        if nanos >= MAX_NANOS as f64 {
            return Some(Scaled::Exact(u128::MAX));
        }
        return Some(if nanos.fract() == 0.0 {
            Scaled::Exact(nanos as u128)
        } else {
            Scaled::Fraction
        });
    }
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    // Leading zeros of the whole part and trailing zeros of the fraction change nothing.
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().unwrap_or(u128::MAX)
    };
    let whole = whole.saturating_mul(scale);
    if fraction.is_empty() {
        return Some(Scaled::Exact(whole));
    }
    // Beyond 25 significant decimals no unit here gives whole nanoseconds.
    if fraction.len() > 25 {
        return Some(Scaled::Fraction);
    }
    let numerator: u128 = fraction.parse().ok()?;
    let denominator = 10u128.pow(fraction.len() as u32);
    let part = numerator * scale;
    if part % denominator != 0 {
        return Some(Scaled::Fraction);
    }
    Some(Scaled::Exact(whole.saturating_add(part / denominator)))
}

fn units() -> String {
    suggest::one_of(&UNIT_NAMES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(src: &str) -> Result<u128, String> {
        let expr: Expr = syn::parse_str(src).unwrap();
        match DurationValue::parse(&expr) {
            Ok(DurationValue::Known { nanos, .. }) => Ok(nanos),
            Ok(DurationValue::Expr(_)) => Err("expression".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn literals_with_every_unit() {
        assert_eq!(nanos("5ns"), Ok(5));
        assert_eq!(nanos("7us"), Ok(7_000));
        assert_eq!(nanos("250ms"), Ok(250_000_000));
        assert_eq!(nanos("1.5s"), Ok(1_500_000_000));
        assert_eq!(nanos("2m"), Ok(120_000_000_000));
        assert_eq!(nanos("1h"), Ok(3_600_000_000_000));
        assert_eq!(nanos("0.25ms"), Ok(250_000));
        assert_eq!(nanos("1e3ms"), Ok(1_000_000_000));
        assert_eq!(nanos("1_000ms"), Ok(1_000_000_000));
    }

    #[test]
    fn strings_read_like_literals() {
        assert_eq!(nanos("\"250ms\""), Ok(250_000_000));
        assert_eq!(nanos("\" 1.5 s \""), Ok(1_500_000_000));
    }

    #[test]
    fn expressions_are_left_to_the_compiler() {
        assert_eq!(nanos("Duration::from_secs(3)"), Err("expression".into()));
        assert_eq!(nanos("TIMEOUT"), Err("expression".into()));
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        assert!(nanos("250").unwrap_err().starts_with("missing unit"));
        assert!(nanos("5sec").unwrap_err().contains("unknown unit `sec`"));
        assert!(nanos("5mss").unwrap_err().contains("did you mean `ms`?"));
        assert_eq!(nanos("-5s").unwrap_err(), "a duration cannot be negative");
        assert_eq!(
            nanos("\"-5s\"").unwrap_err(),
            "a duration cannot be negative"
        );
        assert_eq!(
            nanos("0.5ns").unwrap_err(),
            "duration is finer than a nanosecond"
        );
        assert_eq!(
            nanos("99999999999999999999h").unwrap_err(),
            "duration is too large for `Duration`"
        );
        assert!(
            nanos("\"fast\"")
                .unwrap_err()
                .starts_with("expected a duration")
        );
    }

    #[test]
    fn the_largest_duration_fits_and_one_more_does_not() {
        assert_eq!(
            nanos("18446744073709551615s"),
            Ok(u128::from(u64::MAX) * 1_000_000_000)
        );
        assert!(nanos("18446744073709551616s").is_err());
    }
}
