//! `#[circuit_breaker(...)]`: reading its options, and wrapping a body so that each call
//! asks the breaker for a permit and reports how it went.
//!
//! Input:
//!
//! ```text
//! #[circuit_breaker(name = "payments", open_for = 10s)]
//! async fn charge(&self, cents: u64) -> Result<Receipt, Error> { BODY }
//! ```
//!
//! Output:
//!
//! ```text
//! async fn charge(&self, cents: u64) -> Result<Receipt, Error> {
//!     static __BS_BREAKER: BreakerHandle = BreakerHandle::new("payments", /* config */);
//!     let __bs_permit = match __BS_BREAKER.get().try_acquire() {
//!         Ok(permit) => permit,
//!         Err(open) => return Err(From::from(open)),   // the body does not run
//!     };
//!     let __bs_result = async { BODY }.await;
//!     __bs_permit.record(/* Retryable classification, or `when` */);
//!     __bs_result
//! }
//! ```
//!
//! The handle resolves the registry once; after that a call costs an atomic load and the
//! breaker's own lock-free admission.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path};

use crate::args::{self, CallShape, Errors, RawOption};
use crate::duration::DurationValue;
use crate::expand::respan;
use crate::suggest;

/// Every option; the first eight configure the breaker itself.
pub(crate) const BREAKER_OPTIONS: [&str; 11] = [
    "name",
    "failure_rate",
    "window",
    "min_calls",
    "open_for",
    "half_open_calls",
    "slow_call",
    "slow_rate",
    "when",
    "breaker",
    "crate",
];

/// The options that configure a breaker, which a fn sharing a `static` breaker cannot set.
const CONFIG_OPTIONS: &[&str] = BREAKER_OPTIONS.split_at(8).0;

#[derive(Default)]
pub(crate) struct BreakerOptions {
    pub(crate) name: Option<LitStr>,
    failure_rate: Option<f64>,
    window: Option<WindowValue>,
    min_calls: Option<u32>,
    open_for: Option<DurationValue>,
    half_open_calls: Option<u32>,
    slow_call: Option<DurationValue>,
    slow_rate: Option<f64>,
    pub(crate) when: Option<Expr>,
    /// A `static` breaker to share, declared with `#[circuit_breaker] static NAME: ..;`.
    pub(crate) shared: Option<Path>,
    pub(crate) krate: Option<Path>,
}

enum WindowValue {
    Count(u32),
    Time(DurationValue),
}

impl BreakerOptions {
    /// Reads every option, reporting all errors rather than the first.
    pub(crate) fn from_options(options: Vec<RawOption>) -> syn::Result<Self> {
        let known = &BREAKER_OPTIONS;
        let mut out = BreakerOptions::default();
        let mut errors = Errors::default();
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut count_window: Option<(u32, Span)> = None;
        let mut min_calls_span = None;
        let mut slow_rate_span = None;

        for RawOption { name, value } in options {
            let Some(key) = args::claim(&name, known, &mut seen, &mut errors) else {
                continue;
            };
            match key.as_str() {
                "name" => match &value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(lit), ..
                    }) if !lit.value().is_empty() => {
                        out.name = Some(lit.clone());
                    }
                    _ => errors.at(
                        value.span(),
                        "expected `name = \"...\"`: a non-empty string naming the breaker",
                    ),
                },
                "failure_rate" => out.failure_rate = errors.ok(rate(&value, "failure_rate")),
                "slow_rate" => {
                    slow_rate_span = Some(name.span());
                    out.slow_rate = errors.ok(rate(&value, "slow_rate"));
                }
                "window" => {
                    out.window = errors.ok(window(&value));
                    if let Some(WindowValue::Count(n)) = out.window {
                        count_window = Some((n, value.span()));
                    }
                }
                "min_calls" => {
                    let parsed = errors.ok(args::integer(&value, "min_calls", 1));
                    min_calls_span = parsed.map(|(_, span)| span);
                    out.min_calls = parsed.map(|(n, _)| n);
                }
                "half_open_calls" => {
                    let parsed = errors.ok(args::integer(&value, "half_open_calls", 1));
                    if let Some((n, span)) = parsed {
                        if n > 1023 {
                            errors.at(span, "`half_open_calls` can be at most 1023");
                        }
                    }
                    out.half_open_calls = parsed.map(|(n, _)| n);
                }
                "open_for" => out.open_for = errors.ok(args::nonzero_duration(&value, "open_for")),
                "slow_call" => {
                    out.slow_call = errors.ok(args::nonzero_duration(&value, "slow_call"))
                }
                "when" => out.when = Some(value),
                "breaker" => {
                    out.shared = errors.ok(args::path(&value, "breaker", "a `static` breaker"));
                }
                "crate" => {
                    out.krate = errors.ok(args::path(&value, "crate", "the `backstop` crate"));
                }
                _ => unreachable!("every name in BREAKER_OPTIONS is handled"),
            }
        }

        let min_calls = out.min_calls.unwrap_or(10);
        if let Some((count, _)) = count_window {
            if min_calls > count {
                let span = min_calls_span
                    .or(count_window.map(|w| w.1))
                    .unwrap_or_else(Span::call_site);
                errors.at(
                    span,
                    format!(
                        "`min_calls` ({min_calls}) is above the window of {count} calls, so the \
                         breaker could never open; lower it or widen the window"
                    ),
                );
            }
        }
        if let (Some(span), None) = (slow_rate_span, &out.slow_call) {
            errors.at(
                span,
                "`slow_rate` needs `slow_call`: the duration above which a call is slow",
            );
        }
        if out.shared.is_some() {
            for option in CONFIG_OPTIONS {
                if let Some(span) = seen.get(*option) {
                    errors.at(
                        *span,
                        format!(
                            "`{option}` cannot be combined with `breaker`: a shared breaker is \
                             configured on its `static`"
                        ),
                    );
                }
            }
        }
        errors.finish().map(|()| out)
    }

    /// The configuration as a const expression of type `BreakerConfig`.
    pub(crate) fn config(&self, private: &TokenStream) -> TokenStream {
        let failure_rate = self.failure_rate.map(|r| {
            let r = proc_macro2::Literal::f64_suffixed(r);
            quote!(.with_failure_rate(#r))
        });
        let window = self.window.as_ref().map(|w| match w {
            WindowValue::Count(n) => quote!(.with_window(#private::Window::Count(#n))),
            WindowValue::Time(d) => {
                let d = d.to_tokens();
                quote!(.with_window(#private::Window::Time(#d)))
            }
        });
        let min_calls = self.min_calls.map(|n| quote!(.with_min_calls(#n)));
        let open_for = self.open_for.as_ref().map(|d| {
            let d = d.to_nonzero_tokens("`open_for` must be above zero", private);
            quote!(.with_open_for(#d))
        });
        let half_open_calls = self
            .half_open_calls
            .map(|n| quote!(.with_half_open_calls(#n)));
        let slow_call = self.slow_call.as_ref().map(|d| {
            let d = d.to_nonzero_tokens("`slow_call` must be above zero", private);
            quote!(.with_slow_call(#d))
        });
        let slow_rate = self.slow_rate.map(|r| {
            let r = proc_macro2::Literal::f64_suffixed(r);
            quote!(.with_slow_rate(#r))
        });
        quote! {
            #private::BreakerConfig::new()
                #failure_rate #window #min_calls #open_for #half_open_calls #slow_call #slow_rate
        }
    }
}

/// A rate in `(0, 1]`.
fn rate(value: &Expr, name: &str) -> syn::Result<f64> {
    let (rate, span) = args::number(value, &format!("`{name}`"))?;
    if rate > 0.0 && rate <= 1.0 {
        Ok(rate)
    } else {
        Err(syn::Error::new(
            span,
            format!("`{name}` is a fraction of calls: expected a number in (0, 1], found {rate}"),
        ))
    }
}

fn window(value: &Expr) -> syn::Result<WindowValue> {
    let expected = "expected `window = count(<calls>)` or `window = time(<duration>)`";
    let Some(CallShape {
        name,
        positional,
        named,
    }) = args::call_shape(value)
    else {
        return Err(syn::Error::new(value.span(), expected));
    };
    if let Some((key, _)) = named.first() {
        return Err(syn::Error::new(key.span(), expected));
    }
    let [arg] = positional.as_slice() else {
        return Err(syn::Error::new(name.span(), expected));
    };
    match name.to_string().as_str() {
        "count" => {
            let (n, span) = args::integer(arg, "count", 1)?;
            if n > 1 << 20 {
                return Err(syn::Error::new(
                    span,
                    "a count window holds at most 1048576 calls",
                ));
            }
            Ok(WindowValue::Count(n))
        }
        "time" => args::nonzero_duration(arg, "time").map(WindowValue::Time),
        other => {
            let hint = suggest::closest(other, &["count", "time"])
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default();
            Err(syn::Error::new(
                name.span(),
                format!("unknown window `{other}`: {expected}{hint}"),
            ))
        }
    }
}

/// The breaker's name: the option, or the fn's module path and name.
pub(crate) fn name_tokens(options: &BreakerOptions, fn_name: &Ident) -> TokenStream {
    match &options.name {
        Some(name) => quote!(#name),
        None => {
            let fn_name = fn_name.to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #fn_name))
        }
    }
}

/// A block that runs `body` once through the breaker and evaluates to the fn's result.
///
/// `breaker` is an expression of type `&'static CircuitBreaker`. A rejection leaves the
/// block with `return Err(E::from(CircuitOpen))` before the body runs; for a fn that is
/// also retried, the block is the attempt, so the rejection is the attempt's error.
pub(crate) fn guarded(
    options: &BreakerOptions,
    breaker: &TokenStream,
    ret: &syn::Type,
    attempt: &TokenStream,
    private: &TokenStream,
) -> TokenStream {
    let at = Span::mixed_site();
    let ret_span = ret.span();
    let classifier = match &options.when {
        Some(when) => quote!(#private::when::<#ret, _>(#when)),
        None => {
            let by_retryable = respan(quote!(#private::by_retryable), ret_span);
            quote_spanned!(ret_span=> #by_retryable::<#ret>())
        }
    };
    let rejected = respan(quote!(#private::rejected), ret_span);
    quote_spanned! {at=>
        {
            let __bs_permit = match #private::CircuitBreaker::try_acquire(#breaker) {
                ::core::result::Result::Ok(__bs_permit) => __bs_permit,
                ::core::result::Result::Err(__bs_open) => {
                    return ::core::result::Result::Err(#rejected::<#ret>(__bs_open));
                }
            };
            let __bs_outcome = #attempt;
            __bs_permit.record_result(&__bs_outcome, &#classifier);
            __bs_outcome
        }
    }
}

/// The expression that finds the fn's breaker: its own `static` handle, declared in place,
/// or the shared one it names.
pub(crate) fn handle(
    options: &BreakerOptions,
    fn_name: &Ident,
    private: &TokenStream,
) -> TokenStream {
    let at = Span::mixed_site();
    match &options.shared {
        Some(path) => quote_spanned!(path.span()=> #private::BreakerHandle::get(&#path)),
        None => {
            let name = name_tokens(options, fn_name);
            let config = options.config(private);
            quote_spanned! {at=>
                {
                    static __BS_BREAKER: #private::BreakerHandle = #private::BreakerHandle::new(
                        #name,
                        #private::checked_breaker(#config),
                    );
                    __BS_BREAKER.get()
                }
            }
        }
    }
}

/// `static NAME: Type;`, the declaration of a breaker shared through its path.
pub(crate) struct StaticDecl {
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
    ident: Ident,
}

impl syn::parse::Parse for StaticDecl {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<syn::Token![static]>()?;
        let ident = input.parse()?;
        input.parse::<syn::Token![:]>()?;
        input.parse::<syn::Type>()?;
        input.parse::<syn::Token![;]>()?;
        Ok(StaticDecl { attrs, vis, ident })
    }
}

/// The `static` breaker that fns share with `breaker = NAME`.
pub(crate) fn shared_static(decl: StaticDecl, options: BreakerOptions) -> syn::Result<TokenStream> {
    if let Some(when) = &options.when {
        return Err(syn::Error::new(
            when.span(),
            "`when` goes on the fns that use the breaker: each decides what counts as a failure",
        ));
    }
    if let Some(shared) = &options.shared {
        return Err(syn::Error::new(
            shared.span(),
            "a `static` breaker cannot name another one",
        ));
    }
    let krate = options
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::backstop));
    let private = quote!(#krate::__private);
    let StaticDecl { attrs, vis, ident } = decl;
    let name = name_tokens(&options, &ident);
    let config = options.config(&private);
    Ok(quote! {
        #(#attrs)*
        #vis static #ident: #krate::BreakerHandle =
            #krate::BreakerHandle::new(#name, #private::checked_breaker(#config));
    })
}

/// Whether `attr` is `#[circuit_breaker(..)]`, under any path (`#[backstop::circuit_breaker]`).
pub(crate) fn is_breaker_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "circuit_breaker")
}

/// Whether `attr` is `#[retry(..)]`, under any path.
pub(crate) fn is_retry_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "retry")
}

/// The arguments of an attribute written `#[name]` or `#[name(..)]`.
pub(crate) fn attr_args(attr: &syn::Attribute) -> syn::Result<TokenStream> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(TokenStream::new()),
        syn::Meta::List(list) => Ok(list.tokens.clone()),
        syn::Meta::NameValue(meta) => Err(syn::Error::new(
            meta.eq_token.span,
            "expected `#[name(option = value, ..)]`",
        )),
    }
}

pub(crate) fn attr_options(attr: &syn::Attribute) -> syn::Result<BreakerOptions> {
    args::parse_raw(attr_args(attr)?).and_then(BreakerOptions::from_options)
}

/// `#[circuit_breaker]` on a fn: the whole body runs through the breaker once per call.
///
/// With `#[retry]` below it, the retry loop is expanded first and the breaker goes around
/// the whole retried call, so the outer attribute is the outer layer, as it reads.
pub(crate) fn breaker_fn(
    mut func: syn::ItemFn,
    options: BreakerOptions,
) -> syn::Result<TokenStream> {
    use crate::expand::{Shape, check_output, return_type, shape};

    if let Some(constness) = &func.sig.constness {
        return Err(syn::Error::new(
            constness.span(),
            "`#[circuit_breaker]` cannot go on a `const fn`: a breaker keeps state at run time",
        ));
    }
    let output = match shape(&func) {
        Shape::AsyncTrait { output, .. } => (*output).clone(),
        Shape::Blocking | Shape::Async => return_type(&func.sig)?.clone(),
    };
    check_output(&output)?;

    if let Some(index) = func.attrs.iter().position(is_retry_attr) {
        let attr = func.attrs.remove(index);
        let retried = crate::retry_impl(attr_args(&attr)?, quote!(#func));
        match syn::parse2::<syn::ItemFn>(retried.clone()) {
            Ok(retried) => func = retried,
            // The retry's own errors, with the fn as written; the breaker waits for a fix.
            Err(_) => return Ok(retried),
        }
    }

    let krate = options
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::backstop));
    let private = quote!(#krate::__private);
    let (is_async, stmts, pin) = match shape(&func) {
        Shape::AsyncTrait { pin, block, .. } => (true, &block.stmts, Some(pin)),
        Shape::Async => (true, &func.block.stmts, None),
        Shape::Blocking => (false, &func.block.stmts, None),
    };
    let stmts = quote!(#(#stmts)*);
    let handle = handle(&options, &func.sig.ident, &private);
    let attempt = crate::expand::once(&output, &stmts, is_async, &private);
    let body = guarded(&options, &handle, &output, &attempt, &private);
    let body = match pin {
        Some(pin) => quote_spanned!(Span::mixed_site()=> #pin(async move { #body })),
        None => body,
    };
    let (inner_attrs, outer_attrs): (Vec<_>, Vec<_>) = func
        .attrs
        .iter()
        .partition(|a| matches!(a.style, syn::AttrStyle::Inner(_)));
    let vis = &func.vis;
    let sig = &func.sig;
    Ok(quote! {
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #body
        }
    })
}

/// What stands in for a `static` breaker whose declaration has errors, so that the fns
/// naming it still type-check while the errors are fixed.
pub(crate) fn static_stub(decl: &StaticDecl, krate: &TokenStream) -> TokenStream {
    let StaticDecl { attrs, vis, ident } = decl;
    let name = ident.to_string();
    quote! {
        #(#attrs)*
        #vis static #ident: #krate::BreakerHandle =
            #krate::BreakerHandle::new(#name, #krate::BreakerConfig::DEFAULT);
    }
}
