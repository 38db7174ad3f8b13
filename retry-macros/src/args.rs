//! Reading `#[retry(...)]` options: first their shape (`name = value`), then what each
//! value means. Every value keeps its tokens, so every error underlines what is wrong.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, ExprLit, Ident, Lit, Path, Token};

use crate::duration::DurationValue;
use crate::suggest;

/// One `name = value` pair, before its value is understood.
pub(crate) struct RawOption {
    pub(crate) name: Ident,
    pub(crate) value: Expr,
}

impl Parse for RawOption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `crate` is a keyword; `parse_any` accepts it as a name.
        let name = Ident::parse_any(input)?;
        if !input.peek(Token![=]) {
            let expected = match expected_form(&name.to_string()) {
                Some(form) => format!("expected `{name} = {form}`"),
                None => format!("expected `{name} = <value>`"),
            };
            return Err(syn::Error::new(name.span(), expected));
        }
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(RawOption { name, value })
    }
}

/// Parses the attribute's arguments into raw options.
pub(crate) fn parse_raw(args: TokenStream) -> syn::Result<Vec<RawOption>> {
    let parser = Punctuated::<RawOption, Token![,]>::parse_terminated;
    Ok(syn::parse::Parser::parse2(parser, args)?
        .into_iter()
        .collect())
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Keeps the value, or records its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The `value` of each option, for "expected `name = value`" messages.
fn expected_form(name: &str) -> Option<&'static str> {
    Some(match name {
        "attempts" => "<integer>",
        "max_elapsed" | "max_retry_after" | "timeout" => "<duration>",
        "backoff" => "constant(..) | linear(..) | exponential(..)",
        "jitter" => "none | full | equal | decorrelated",
        "when" => "<fn(&E) -> bool>",
        "classify" => "<fn(&E) -> Classification>",
        "on_retry" => "<fn(&E, &AttemptState)>",
        "context" => "<identifier>",
        "fallback" => "<fn(E) -> Result<T, E>>",
        "budget" => "<path to a RetryBudget>",
        "crate" => "<path>",
        _ => return None,
    })
}

pub(crate) const RETRY_OPTIONS: [&str; 13] = [
    "attempts",
    "max_elapsed",
    "max_retry_after",
    "backoff",
    "jitter",
    "timeout",
    "when",
    "classify",
    "on_retry",
    "context",
    "fallback",
    "budget",
    "crate",
];

/// The error for an option that does not exist, with a hint when one is close.
pub(crate) fn unknown_option(name: &Ident, known: &[&str]) -> syn::Error {
    let text = name.unraw().to_string();
    let message = match suggest::closest(&text, known) {
        Some(close) => format!("unknown option `{text}`; did you mean `{close}`?"),
        None => format!(
            "unknown option `{text}`: expected one of {}",
            suggest::one_of(known)
        ),
    };
    syn::Error::new(name.span(), message)
}

/// An integer literal in `min..=u32::MAX`.
pub(crate) fn integer(value: &Expr, name: &str, min: u32) -> syn::Result<(u32, Span)> {
    let expected = || format!("expected `{name} = <integer>` with an integer >= {min}");
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => {
            let parsed: u128 = lit
                .base10_parse()
                .map_err(|_| syn::Error::new(lit.span(), expected()))?;
            match u32::try_from(parsed) {
                Ok(n) if n >= min => Ok((n, lit.span())),
                Ok(_) => Err(syn::Error::new(
                    lit.span(),
                    format!("`{name}` must be at least {min}"),
                )),
                Err(_) => Err(syn::Error::new(
                    lit.span(),
                    format!("`{name}` must fit in a `u32`"),
                )),
            }
        }
        Expr::Unary(_) => Err(syn::Error::new(
            value.span(),
            format!("`{name}` must be at least {min}"),
        )),
        _ => Err(syn::Error::new(value.span(), expected())),
    }
}

/// A float or integer literal, as a rate or factor.
pub(crate) fn number(value: &Expr, what: &str) -> syn::Result<(f64, Span)> {
    let parsed = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Float(lit),
            ..
        }) => lit.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit.base10_parse::<f64>().ok(),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => {
            return number(expr, what).map(|(n, _)| (-n, value.span()));
        }
        _ => None,
    };
    match parsed {
        Some(n) if n.is_finite() => Ok((n, value.span())),
        _ => Err(syn::Error::new(
            value.span(),
            format!("expected {what} as a number literal"),
        )),
    }
}

/// A bare identifier such as `full` or `ctx`.
pub(crate) fn ident(value: &Expr) -> Option<Ident> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
            path.path.get_ident().cloned()
        }
        _ => None,
    }
}

/// A path such as `::backstop` or `my::fallback`.
pub(crate) fn path(value: &Expr, name: &str, what: &str) -> syn::Result<Path> {
    match value {
        Expr::Path(path) if path.qself.is_none() => Ok(path.path.clone()),
        _ => Err(syn::Error::new(
            value.span(),
            format!("expected `{name} = <path>` naming {what}"),
        )),
    }
}

/// A call-shaped value such as `exponential(100ms, factor = 2)`: its name and arguments,
/// each argument either positional or `key = value`.
pub(crate) struct CallShape {
    pub(crate) name: Ident,
    pub(crate) positional: Vec<Expr>,
    pub(crate) named: Vec<(Ident, Expr)>,
}

pub(crate) fn call_shape(value: &Expr) -> Option<CallShape> {
    let (name, args) = match value {
        Expr::Call(ExprCall { func, args, .. }) => (ident(func)?, args.iter().collect()),
        // `constant` alone, without parentheses: reported by the caller as missing arguments.
        Expr::Path(_) => (ident(value)?, Vec::new()),
        _ => return None,
    };
    let mut positional = Vec::new();
    let mut named = Vec::new();
    for arg in args {
        match arg {
            Expr::Assign(assign) => match ident(&assign.left) {
                Some(key) => named.push((key, (*assign.right).clone())),
                None => positional.push(arg.clone()),
            },
            other => positional.push(other.clone()),
        }
    }
    Some(CallShape {
        name,
        positional,
        named,
    })
}

/// A duration option's value, reporting errors.
pub(crate) fn duration(value: &Expr) -> syn::Result<DurationValue> {
    DurationValue::parse(value)
}

/// A duration that must be above zero, when it is known.
pub(crate) fn nonzero_duration(value: &Expr, name: &str) -> syn::Result<DurationValue> {
    let duration = duration(value)?;
    if duration.nanos() == Some(0) {
        return Err(syn::Error::new(
            duration.span(),
            format!("`{name}` must be above zero"),
        ));
    }
    Ok(duration)
}

/// Checks an option's name: known, and not given before. `None` after reporting why not.
pub(crate) fn claim(
    name: &Ident,
    known: &[&str],
    seen: &mut std::collections::HashMap<String, Span>,
    errors: &mut Errors,
) -> Option<String> {
    let key = name.to_string();
    if !known.contains(&key.as_str()) {
        errors.push(unknown_option(name, known));
        return None;
    }
    if seen.insert(key.clone(), name.span()).is_some() {
        errors.at(
            name.span(),
            format!("option `{key}` is given more than once"),
        );
        return None;
    }
    Some(key)
}
