//! Rewriting a fn into its retry loop.
//!
//! Input:
//!
//! ```text
//! #[retry(attempts = 5)]
//! async fn fetch(&self, id: u32, (a, b): (u8, u8)) -> Result<Item, Error> { BODY }
//! ```
//!
//! Output (names starting with `__bs_` are private to the expansion):
//!
//! ```text
//! async fn fetch(&self, id: u32, __bs_arg2: (u8, u8)) -> Result<Item, Error> {
//!     let __bs_policy: &'static RetryPolicy = &const { /* the options */ };
//!     let mut __bs_call = Call::timed(__bs_policy);
//!     loop {
//!         let id = Rebind::rebind(&id);              // each attempt gets its arguments again
//!         let (a, b) = Rebind::rebind(&__bs_arg2);
//!         let __bs_result = async { BODY }.await;    // `return` and `?` end the attempt
//!         let __bs_delay = match __bs_result {
//!             Ok(value) => return Ok(value),
//!             Err(error) => match __bs_call.on_error(&error, ..) {
//!                 Some(delay) => delay,
//!                 None => return Err(error),
//!             },
//!         };
//!         sleep(__bs_delay).await;
//!     }
//! }
//! ```
//!
//! The body is spliced unchanged, once, inside the loop: it may borrow `&mut self` and
//! local state across `.await`, which a closure returning a future could not.
//!
//! A blocking fn has no `.await` to hold borrows across, so its body becomes an `FnMut`
//! attempt closure instead: the first call is inlined and the loop lives out of line in
//! the runtime (`retry_blocking`), which keeps the happy path as short as the plain fn's.
//!
//! ```text
//! fn fetch(&mut self, id: u32) -> Result<Item, Error> {
//!     let mut __bs_attempt = attempt_fn::<Result<Item, Error>, _>(|_: u32| {
//!         let id = Rebind::rebind(&id);
//!         BODY
//!     });
//!     match __bs_attempt(1) {
//!         Ok(value) => Ok(value),
//!         Err(first) => match retry_blocking(policy, first, &mut __bs_attempt, ..) {
//!             Ok(done) => done,
//!             Err(error) => Err(error),
//!         },
//!     }
//! }
//! ```

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{AttrStyle, FnArg, ItemFn, Pat, PatIdent, ReturnType, Signature, Type, TypeReference};

use crate::config::{BackoffConfig, Jitter, RetryConfig};
use crate::duration::DurationValue;

/// How the fn runs: the loop differs for blocking and async bodies, and a method that
/// `#[async_trait]` has already rewritten keeps its boxed-future signature.
pub(crate) enum Shape<'a> {
    Blocking,
    Async,
    /// `fn f(..) -> Pin<Box<dyn Future<Output = R> + ..>> { Box::pin(async move { .. }) }`
    AsyncTrait {
        output: Box<Type>,
        pin: &'a syn::Expr,
        block: &'a syn::Block,
    },
}

pub(crate) fn shape(func: &ItemFn) -> Shape<'_> {
    if func.sig.asyncness.is_some() {
        return Shape::Async;
    }
    let boxed = match (&func.sig.output, func.block.stmts.as_slice()) {
        (ReturnType::Type(_, ty), [syn::Stmt::Expr(syn::Expr::Call(call), None)]) => {
            future_output(ty).zip(match call.args.first() {
                Some(syn::Expr::Async(block))
                    if call.args.len() == 1 && block.capture.is_some() =>
                {
                    Some((&*call.func, &block.block))
                }
                _ => None,
            })
        }
        _ => None,
    };
    match boxed {
        Some((output, (pin, block))) => Shape::AsyncTrait {
            output: Box::new(output),
            pin,
            block,
        },
        None => Shape::Blocking,
    }
}

/// `R` in `Pin<Box<dyn Future<Output = R> + ..>>`.
fn future_output(ty: &Type) -> Option<Type> {
    let first_type = |ty: &Type, name: &str| -> Option<Type> {
        let Type::Path(path) = ty else { return None };
        let last = path.path.segments.last().filter(|s| s.ident == name)?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(inner) => Some(inner.clone()),
            _ => None,
        })
    };
    let boxed = first_type(ty, "Pin")?;
    let Type::TraitObject(object) = first_type(&boxed, "Box")? else {
        return None;
    };
    object.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last().filter(|s| s.ident == "Future")?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => {
                Some(assoc.ty.clone())
            }
            _ => None,
        })
    })
}

/// Checks that `func` can be retried under `config`; all problems at once.
pub(crate) fn check_fn(func: &ItemFn, config: &RetryConfig) -> syn::Result<()> {
    let mut errors = crate::args::Errors::default();
    let sig = &func.sig;
    if let Some(constness) = &sig.constness {
        errors.at(
            constness.span(),
            "`#[retry]` cannot go on a `const fn`: retrying sleeps between attempts, which a \
             const fn cannot do",
        );
    }
    let shape = shape(func);
    if let (Shape::Blocking, Some((name, _))) = (&shape, &config.timeout) {
        errors.at(
            name.span(),
            "`timeout` needs an `async fn`: a blocking call cannot be interrupted; bound the \
             time inside the body instead",
        );
    }
    let output = match &shape {
        Shape::AsyncTrait { output, .. } => Ok(&**output),
        Shape::Blocking | Shape::Async => return_type(sig),
    };
    if let Err(error) = output.and_then(check_output) {
        errors.push(error);
    }
    errors.finish()
}

/// The fn's return type, when it can be a `Result`. Types that never are get a precise
/// error here; a path type is checked by the compiler through `IsResult`, so that aliases
/// such as `io::Result<T>` work.
pub(crate) fn return_type(sig: &Signature) -> syn::Result<&Type> {
    let expected = "`#[retry]` needs a fn that returns `Result<T, E>` (or an alias of it)";
    let ty = match &sig.output {
        ReturnType::Default => {
            return Err(syn::Error::new(
                sig.paren_token.span.close(),
                format!("{expected}; this fn returns `()`"),
            ));
        }
        ReturnType::Type(_, ty) => &**ty,
    };
    Ok(ty)
}

/// Rejects return types that are surely not a `Result`, and `impl Trait`.
pub(crate) fn check_output(ty: &Type) -> syn::Result<()> {
    let expected = "`#[retry]` needs a fn that returns `Result<T, E>` (or an alias of it)";
    let not_result = match ty {
        // Aliases of `Result` are paths too; only names that are surely something else are
        // rejected here, the rest is left to the compiler through `IsResult`.
        Type::Path(path) => {
            let last = path.path.segments.last();
            path.qself.is_none() && last.is_some_and(|s| NOT_RESULTS.iter().any(|n| s.ident == n))
        }
        Type::Paren(_) | Type::Group(_) | Type::Macro(_) => false,
        _ => true,
    };
    if not_result {
        return Err(syn::Error::new(ty.span(), expected));
    }
    if let Some(span) = find_impl_trait(ty.to_token_stream()) {
        return Err(syn::Error::new(
            span,
            "`impl Trait` in the return type of a `#[retry]` fn is not supported: name the \
             type, or box it",
        ));
    }
    Ok(())
}

const NOT_RESULTS: [&str; 22] = [
    "Option", "Vec", "String", "Box", "Self", "bool", "char", "str", "u8", "u16", "u32", "u64",
    "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
];

/// Whether `tokens` name `Self` or one of `generics`.
fn mentions(tokens: TokenStream, generics: &[String]) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "Self" || generics.iter().any(|g| ident == g),
        TokenTree::Group(group) => mentions(group.stream(), generics),
        _ => false,
    })
}

fn find_impl_trait(tokens: TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tt| match tt {
        TokenTree::Ident(ident) if ident == "impl" => Some(ident.span()),
        TokenTree::Group(group) => find_impl_trait(group.stream()),
        _ => None,
    })
}

/// The pieces of the rewritten fn that both flavours share.
struct Parts {
    private: TokenStream,
    ret: Type,
    /// Re-binds the arguments for an attempt.
    rebinds: Vec<TokenStream>,
    /// The statements of one attempt: the body, behind the breaker when there is one.
    stmts: TokenStream,
    /// Declares `__bs_policy`, and `__bs_key` with `context`.
    setup: TokenStream,
    /// The policy is an inline `const` block; a timeout limit must be one too.
    inline_consts: bool,
    classifier: TokenStream,
    hook: TokenStream,
    hooked: bool,
    /// An expression of type `&RetryBudget`, when the fn names one.
    budget: Option<TokenStream>,
    /// What the fn returns on giving up with `__bs_err`.
    give_up: TokenStream,
}

/// The whole rewritten fn. `check_fn` has passed.
pub(crate) fn retry_fn(mut func: ItemFn, config: RetryConfig) -> TokenStream {
    let at = Span::mixed_site();
    let krate = config
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::backstop));
    let private = quote!(#krate::__private);
    let (ret, async_trait) = match shape(&func) {
        Shape::AsyncTrait { output, pin, block } => (*output, Some((pin.clone(), block.clone()))),
        Shape::Blocking | Shape::Async => match &func.sig.output {
            ReturnType::Type(_, ty) => ((**ty).clone(), None),
            ReturnType::Default => (syn::parse_quote!(()), None),
        },
    };
    let is_async = func.sig.asyncness.is_some() || async_trait.is_some();
    let inner_breaker = take_inner_breaker(&mut func.attrs);
    let rebinds = rebind_arguments(&mut func.sig, &private);

    let stmts = match &async_trait {
        Some((_, block)) => &block.stmts,
        None => &func.block.stmts,
    };
    let mut stmts = quote!(#(#stmts)*);
    if let Some((breaker, path)) = &inner_breaker {
        // `#[retry]` above `#[circuit_breaker]`: every attempt asks the breaker. The
        // attribute is consumed here, so its import is marked used by naming it.
        let handle = crate::breaker::handle(breaker, &func.sig.ident, &private);
        let inner = once(&ret, &stmts, is_async, &private);
        let guarded = crate::breaker::guarded(breaker, &handle, &ret, &inner, &private);
        stmts = quote!(#[allow(unused_imports)] use #path as _; #guarded);
    }

    // The policy is a `const` item: the loop reads it from static memory, and the compiler
    // evaluates it (and rejects a zero `Duration` constant) even under `cargo check`. An
    // expression that names `Self` or a generic parameter cannot go in a nested item, so
    // that policy is an inline `const` block in the fn's frame instead.
    let generics: Vec<String> = func
        .sig
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            syn::GenericParam::Type(ty) => Some(ty.ident.to_string()),
            syn::GenericParam::Const(konst) => Some(konst.ident.to_string()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let names_outer = |expr: &syn::Expr| mentions(expr.to_token_stream(), &generics);
    let inline_consts = config.duration_expressions().any(names_outer);
    let policy = policy(&config, &private);
    let policy = if inline_consts {
        quote_spanned!(at=> let __bs_policy = &const { #policy };)
    } else {
        quote_spanned!(at=>
            const __BS_POLICY: #private::RetryPolicy = #policy;
            let __bs_policy = &__BS_POLICY;
        )
    };
    let key = config
        .context
        .as_ref()
        .map(|_| quote_spanned!(at=> let __bs_key = #private::IdempotencyKey::random();));

    let ret_span = ret.span();
    let classifier = match (&config.when, &config.classify) {
        (Some(when), _) => quote!(#private::when::<#ret, _>(#when)),
        (_, Some(classify)) => quote!(#private::classify::<#ret, _>(#classify)),
        _ => {
            let by_retryable = respan(quote!(#private::by_retryable), ret_span);
            quote_spanned!(ret_span=> #by_retryable::<#ret>())
        }
    };
    let hook = match &config.on_retry {
        Some(hook) => quote!(&#private::on_retry::<#ret, _>(#hook)),
        None => quote!(&()),
    };
    // A shared retry budget hears of every attempt and can veto a retry.
    let budget = config.budget.as_ref().map(|path| {
        let as_budget = respan(quote!(#private::AsBudget::budget), path.span());
        quote_spanned!(at=> #as_budget(&#path))
    });
    let give_up = match &config.fallback {
        Some(fallback) => quote_spanned!(at=> (#fallback)(__bs_err)),
        None => quote_spanned!(at=> ::core::result::Result::Err(__bs_err)),
    };

    let parts = Parts {
        private,
        ret,
        rebinds,
        stmts,
        setup: quote!(#policy #key),
        inline_consts,
        classifier,
        hook,
        hooked: config.on_retry.is_some(),
        budget,
        give_up,
    };
    let body = if is_async {
        async_loop(&parts, &config)
    } else {
        blocking_call(&parts, &config)
    };
    let body = match &async_trait {
        // The boxed future now runs the whole loop.
        Some((pin, _)) => quote_spanned!(at=> #pin(async move { #body })),
        None => body,
    };

    let (inner_attrs, outer_attrs): (Vec<_>, Vec<_>) = func
        .attrs
        .iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Inner(_)));
    let vis = &func.vis;
    let sig = &func.sig;
    quote_spanned! {at=>
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #body
        }
    }
}

/// An async fn's body: the retry loop, with each attempt an async block awaited in place.
fn async_loop(parts: &Parts, config: &RetryConfig) -> TokenStream {
    let at = Span::mixed_site();
    let Parts {
        private,
        ret,
        rebinds,
        stmts,
        setup,
        classifier,
        hook,
        hooked,
        budget,
        ..
    } = parts;
    let give_up = &parts.give_up;
    let attempt = match &config.timeout {
        Some((_, limit)) => {
            let limit = limit.to_nonzero_tokens("`timeout` must be above zero", private);
            let limit = if parts.inline_consts {
                quote_spanned!(at=> const { #limit })
            } else {
                quote_spanned!(at=> {
                    const __BS_TIMEOUT: ::core::time::Duration = #limit;
                    __BS_TIMEOUT
                })
            };
            let future = once_future(ret, stmts);
            quote_spanned! {at=>
                match #private::timeout(#limit, #future).await {
                    ::core::result::Result::Ok(__bs_done) => __bs_done,
                    ::core::result::Result::Err(__bs_expired) => {
                        ::core::result::Result::Err(#private::timed_out(__bs_expired.limit))
                    }
                }
            }
        }
        None => once(ret, stmts, true, private),
    };
    let context = config.context.as_ref().map(|ctx| {
        quote_spanned!(at=> let #ctx = #private::AttemptContext::new(__bs_call.attempt(), __bs_key);)
    });
    let into_error = respan(quote!(#private::IsResult::into_error), ret.span());
    // Without a budget nothing about one is generated: an `Option` held across `.await`
    // would grow every future by a word.
    let (budget, on_success, on_failure, allowed) = match budget {
        Some(budget) => (
            quote_spanned!(at=> let __bs_budget: &#private::RetryBudget = #budget;),
            quote_spanned!(at=> __bs_budget.record_success();),
            quote_spanned!(at=> __bs_budget.record_failure();),
            quote_spanned!(at=> if __bs_budget.allow_retry()),
        ),
        None => Default::default(),
    };
    quote_spanned! {at=>
        #setup
        let __bs_classifier = #classifier;
        #budget
        let mut __bs_call = #private::Call::timed(__bs_policy, #hooked);
        loop {
            #(#rebinds)*
            #context
            let __bs_result = #attempt;
            let __bs_delay = match #into_error(__bs_result) {
                ::core::result::Result::Ok(__bs_done) => {
                    #on_success
                    return __bs_done;
                }
                ::core::result::Result::Err(__bs_err) => {
                    #on_failure
                    let __bs_next = {
                        use #private::{NoDebug as _, ViaDebug as _};
                        let __bs_debug = (&#private::DebugProbe(&__bs_err)).debug();
                        let __bs_now = #private::async_now;
                        __bs_call.on_error(&__bs_err, &__bs_classifier, #hook, __bs_debug, __bs_now)
                    };
                    match __bs_next {
                        ::core::option::Option::Some(__bs_delay) #allowed => __bs_delay,
                        _ => return #give_up,
                    }
                }
            };
            // tokio rounds every sleep up to the next millisecond: a zero delay skips it.
            if !__bs_delay.is_zero() {
                #private::sleep(__bs_delay).await;
            }
        }
    }
}

/// A blocking fn's body: the first attempt inline, the retries out of line.
fn blocking_call(parts: &Parts, config: &RetryConfig) -> TokenStream {
    let at = Span::mixed_site();
    let Parts {
        private,
        ret,
        rebinds,
        stmts,
        setup,
        classifier,
        hook,
        hooked,
        budget,
        ..
    } = parts;
    let give_up = &parts.give_up;
    // The attempt's number is bound only where the body asks for its context, so that no
    // lint is silenced over the user's own bindings.
    let (number, context) = match &config.context {
        Some(ctx) => (
            quote_spanned!(at=> __bs_number),
            quote_spanned!(at=> let #ctx = #private::AttemptContext::new(__bs_number, __bs_key);),
        ),
        None => (quote_spanned!(at=> _), TokenStream::new()),
    };
    let into_error = respan(quote!(#private::IsResult::into_error), ret.span());
    let budget = match budget {
        Some(budget) => quote_spanned!(at=> ::core::option::Option::Some(#budget)),
        None => quote_spanned!(at=> ::core::option::Option::None),
    };
    quote_spanned! {at=>
        #setup
        let __bs_budget: ::core::option::Option<&#private::RetryBudget> = #budget;
        let __bs_start = #private::start_blocking(__bs_policy, #hooked);
        let mut __bs_attempt = #private::attempt_fn::<#ret, _>(|#number: u32| {
            #(#rebinds)*
            #context
            #stmts
        });
        match #into_error(__bs_attempt(1)) {
            ::core::result::Result::Ok(__bs_done) => {
                if let ::core::option::Option::Some(__bs_budget) = __bs_budget {
                    __bs_budget.record_success();
                }
                __bs_done
            }
            ::core::result::Result::Err(__bs_first) => {
                let __bs_debug = #private::debug_fn::<#ret, _>(|__bs_err| {
                    use #private::{NoDebug as _, ViaDebug as _};
                    (&#private::DebugProbe(__bs_err)).debug()
                });
                match #private::retry_blocking(
                    __bs_policy,
                    __bs_start,
                    __bs_first,
                    &mut __bs_attempt,
                    &#classifier,
                    #hook,
                    __bs_debug,
                    __bs_budget,
                ) {
                    ::core::result::Result::Ok(__bs_done) => __bs_done,
                    ::core::result::Result::Err(__bs_err) => #give_up,
                }
            }
        }
    }
}

/// Takes a `#[circuit_breaker(...)]` below `#[retry]` off the fn, so that the retry loop can
/// put the breaker around each attempt. Left in place when its options do not parse: it
/// then expands on its own and reports its errors itself.
fn take_inner_breaker(
    attrs: &mut Vec<syn::Attribute>,
) -> Option<(crate::breaker::BreakerOptions, syn::Path)> {
    let index = attrs.iter().position(crate::breaker::is_breaker_attr)?;
    let options = crate::breaker::attr_options(&attrs[index]).ok()?;
    let attr = attrs.remove(index);
    Some((options, attr.path().clone()))
}

/// An expression that runs `stmts` once as the fn's body would: in a closure called at
/// once (blocking) or an async block awaited in place, so that `return` and `?` leave only
/// this run, with the return type pinned to the fn's.
pub(crate) fn once(
    ret: &Type,
    stmts: &TokenStream,
    is_async: bool,
    private: &TokenStream,
) -> TokenStream {
    let at = Span::mixed_site();
    if is_async {
        let future = once_future(ret, stmts);
        quote_spanned!(at=> #future.await)
    } else {
        // The bound on `attempt` gives the closure the fn's return type.
        quote_spanned!(at=> #private::attempt::<#ret, _>(|| { #stmts }))
    }
}

/// The async block of [`once`], not yet awaited. A dead `return` of the fn's type fixes
/// the block's output, so `?` inside it converts to the fn's error type.
fn once_future(ret: &Type, stmts: &TokenStream) -> TokenStream {
    quote_spanned! {Span::mixed_site()=>
        async {
            #[allow(
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::unreachable,
                clippy::needless_return
            )]
            if false {
                let __bs_type: #ret = ::core::unreachable!();
                return __bs_type;
            }
            #stmts
        }
    }
}

/// Gives each argument again to every attempt, and returns the statements that do so.
///
/// A plain `name: Type` stays in the signature and is shadowed per attempt; a pattern
/// argument gets a private name in the signature and is destructured per attempt; `&mut`
/// references are reborrowed rather than cloned; `_` is left alone.
fn rebind_arguments(sig: &mut Signature, private: &TokenStream) -> Vec<TokenStream> {
    let mut rebinds = Vec::new();
    for (index, arg) in sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(arg) = arg else { continue };
        let span = arg.span();
        let reborrow = matches!(
            &*arg.ty,
            Type::Reference(TypeReference {
                mutability: Some(_),
                ..
            })
        );
        match &mut *arg.pat {
            Pat::Wild(_) => {}
            Pat::Ident(PatIdent {
                by_ref: None,
                subpat: None,
                mutability,
                ident,
                ..
            }) => {
                let mutability = mutability.take();
                rebinds.push(if reborrow {
                    quote_spanned!(span=> let #mutability #ident = &mut *#ident;)
                } else {
                    quote_spanned!(span=> let #mutability #ident = #private::Rebind::rebind(&#ident);)
                });
            }
            pattern => {
                let name = format_ident!("__bs_arg{}", index, span = Span::mixed_site());
                let original = std::mem::replace(pattern, syn::parse_quote!(#name));
                rebinds
                    .push(quote_spanned!(span=> let #original = #private::Rebind::rebind(&#name);));
            }
        }
    }
    rebinds
}

/// The policy as a const expression.
fn policy(config: &RetryConfig, private: &TokenStream) -> TokenStream {
    let attempts = config.attempts.unwrap_or(3);
    let max_elapsed = config.max_elapsed.as_ref().map(|d| {
        let d = d.to_nonzero_tokens("`max_elapsed` must be above zero", private);
        quote!(.with_max_elapsed(#d))
    });
    let max_retry_after = config.max_retry_after.as_ref().map(|d| {
        let d = d.to_tokens();
        quote!(.with_max_retry_after(#d))
    });
    let backoff = config.backoff.as_ref().map(|b| {
        let b = backoff(b, private);
        quote!(.with_backoff(#b))
    });
    let jitter = match config.jitter.unwrap_or(Jitter::Full) {
        Jitter::None => quote!(None),
        Jitter::Full => quote!(Full),
        Jitter::Equal => quote!(Equal),
        Jitter::Decorrelated => quote!(Decorrelated),
    };
    quote! {
        #private::RetryPolicy::new()
            .with_attempts(#attempts)
            #max_elapsed
            #max_retry_after
            #backoff
            .with_jitter(#private::Jitter::#jitter)
    }
}

fn backoff(config: &BackoffConfig, private: &TokenStream) -> TokenStream {
    let checked = |call: TokenStream| {
        quote! {
            match #call {
                ::core::result::Result::Ok(__bs_backoff) => __bs_backoff,
                ::core::result::Result::Err(__bs_invalid) => __bs_invalid.panic_in_const(),
            }
        }
    };
    let default_max = |initial: &TokenStream| quote!(#private::default_max(#initial));
    match config {
        BackoffConfig::Constant(delay) => {
            let delay = delay.to_tokens();
            quote!(#private::Backoff::constant(#delay))
        }
        BackoffConfig::Linear { initial, step, max } => {
            let initial = initial.to_tokens();
            let step = step
                .as_ref()
                .map_or_else(|| initial.clone(), DurationValue::to_tokens);
            let max = max
                .as_ref()
                .map_or_else(|| default_max(&initial), DurationValue::to_tokens);
            checked(quote!(#private::Backoff::linear(#initial, #step, #max)))
        }
        BackoffConfig::Exponential {
            initial,
            factor,
            max,
        } => {
            let initial = initial.to_tokens();
            let factor = proc_macro2::Literal::f64_suffixed(factor.unwrap_or(2.0));
            let max = max
                .as_ref()
                .map_or_else(|| default_max(&initial), DurationValue::to_tokens);
            checked(quote!(#private::Backoff::exponential(#initial, #factor, #max)))
        }
    }
}

/// `tokens` with every span set to `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(group) = &tt {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tt = TokenTree::Group(inner);
            }
            tt.set_span(span);
            tt
        })
        .collect()
}
