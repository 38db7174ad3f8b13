//! The attribute macros of backstop. Use them through the `backstop` crate, whose
//! documentation describes every option.
//!
//! The crate is a pipeline: `args` reads the options' shape, `config` what they mean
//! (range checks happen there), `expand` checks the fn and writes the retry loop; `derive`
//! implements `Retryable`.

use proc_macro::TokenStream;

mod args;
mod breaker;
mod config;
mod derive;
mod duration;
mod expand;
mod suggest;

/// Retries a fn that returns `Result<T, E>`; see the `backstop` crate for the options.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry_impl(args.into(), item.into()).into()
}

/// Implements `Retryable` for an enum from a mark on each variant; see the `backstop`
/// crate.
#[proc_macro_derive(Retryable, attributes(retryable))]
pub fn derive_retryable(input: TokenStream) -> TokenStream {
    derive::retryable(input.into()).into()
}

/// Puts a fn behind a circuit breaker, or declares a shared breaker on a `static`; see the
/// `backstop` crate.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    breaker_impl(args.into(), item.into()).into()
}

fn breaker_impl(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let options = args::parse_raw(args).and_then(breaker::BreakerOptions::from_options);
    if let Ok(func) = syn::parse2::<syn::ItemFn>(item.clone()) {
        return match options.and_then(|options| breaker::breaker_fn(func, options)) {
            Ok(expanded) => expanded,
            Err(error) => with_error(item, error),
        };
    }
    if let Ok(decl) = syn::parse2::<breaker::StaticDecl>(item.clone()) {
        let krate = match &options {
            Ok(options) => options.krate.clone(),
            Err(_) => None,
        };
        let krate = krate.map_or_else(|| quote::quote!(::backstop), |k| quote::quote!(#k));
        let stub = breaker::static_stub(&decl, &krate);
        return match options.and_then(|options| breaker::shared_static(decl, options)) {
            Ok(expanded) => expanded,
            Err(error) => {
                let mut out = error.to_compile_error();
                out.extend(stub);
                out
            }
        };
    }
    let error = syn::Error::new(
        proc_macro2::Span::call_site(),
        "`#[circuit_breaker]` goes on a fn that returns `Result<T, E>`, or on a \
         `static NAME: backstop::BreakerHandle;` that fns share with `breaker = NAME`",
    );
    with_error(item, error)
}

pub(crate) fn retry_impl(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[retry]` goes on a fn with a body that returns `Result<T, E>`",
            );
            return with_error(item, error);
        }
    };
    let config = args::parse_raw(args).and_then(config::RetryConfig::from_options);
    let checked = match &config {
        Ok(config) => expand::check_fn(&func, config),
        Err(_) => Ok(()),
    };
    match (config, checked) {
        (Ok(config), Ok(())) => expand::retry_fn(func, config),
        (Err(error), _) | (_, Err(error)) => with_error(item, error),
    }
}

/// The user's item unchanged, so the rest of the crate still type-checks, plus the errors.
fn with_error(item: proc_macro2::TokenStream, error: syn::Error) -> proc_macro2::TokenStream {
    let mut out = error.to_compile_error();
    out.extend(item);
    out
}

#[cfg(test)]
mod never_panics {
    //! The macro returns an error or an expansion for any input, never a panic, and what
    //! it returns always parses as Rust items.

    use proc_macro2::TokenStream;
    use proptest::prelude::*;

    use super::{breaker_impl, retry_impl};

    const ITEMS: [&str; 6] = [
        "fn f(x: u32) -> Result<u32, E> { Ok(x) }",
        "async fn f(&mut self, (a, b): (u8, u8), mut v: Vec<u8>) -> io::Result<()> { Ok(()) }",
        "const fn f() -> Result<(), E> { Ok(()) }",
        "fn f() {}",
        "struct S;",
        "fn f<'a, T: Clone>(t: &'a T, _: impl Fn()) -> Result<&'a T, E> where T: Send { Ok(t) }",
    ];

    /// Every option, and near misses that must be rejected gracefully.
    fn names(known: &[&'static str], misses: &[&'static str]) -> Vec<&'static str> {
        known.iter().chain(misses).copied().collect()
    }

    const BREAKER_VALUES: [&str; 14] = [
        "0",
        "0.5",
        "1",
        "1.5",
        "-0.1",
        "count(0)",
        "count(5)",
        "time(10s)",
        "time(0s)",
        "sliding(3)",
        "\"payments\"",
        "\"\"",
        "PAYMENTS",
        "10s",
    ];

    const VALUES: [&str; 30] = [
        "0",
        "1",
        "3",
        "4294967296",
        "-1",
        "1.5",
        "250ms",
        "0ms",
        "1.5s",
        "2m",
        "1h",
        "5sec",
        "\"250ms\"",
        "\"\"",
        "\"-1s\"",
        "0.5ns",
        "99999999999999999999999h",
        "-5s",
        "full",
        "none",
        "constant(10ms)",
        "linear(1s, step = 2s, max = 1s)",
        "exponential(0ms, factor = 0.5)",
        "exponential(100ms, factor = 2, max = 10s, max = 1s)",
        "fibonacci(1s)",
        "|e| true",
        "Self::X",
        "ctx",
        "::backstop",
        "Duration::from_secs(1)",
    ];

    fn tokens(src: &str) -> TokenStream {
        src.parse().unwrap_or_default()
    }

    /// Expands; when the item itself is valid Rust, so must the output be.
    fn run(args: TokenStream, item: TokenStream) {
        let valid_input = syn::parse2::<syn::File>(item.clone()).is_ok();
        let out = retry_impl(args, item);
        if valid_input {
            assert!(
                syn::parse2::<syn::File>(out.clone()).is_ok(),
                "unparsable output: {out}"
            );
        }
    }

    fn option_list() -> impl Strategy<Value = String> {
        let names = names(
            &crate::args::RETRY_OPTIONS,
            &["atempts", "r#attempts", "step"],
        );
        let option = (prop::sample::select(names), 0..VALUES.len(), any::<bool>()).prop_map(
            |(name, v, eq)| {
                if eq {
                    format!("{name} = {}", VALUES[v])
                } else {
                    name.into()
                }
            },
        );
        proptest::collection::vec(option, 0..6).prop_map(|opts| opts.join(", "))
    }

    /// Random token soup: words, punctuation, literals and balanced groups.
    fn soup() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            prop::sample::select(crate::args::RETRY_OPTIONS.to_vec()).prop_map(str::to_string),
            (0..VALUES.len()).prop_map(|i| VALUES[i].to_string()),
            prop::sample::select(vec![
                "=", ",", "-", "|", "::", ".", ";", "#", "!", "&", "'a"
            ])
            .prop_map(str::to_string),
        ];
        proptest::collection::vec(atom, 0..12).prop_flat_map(|atoms| {
            (
                Just(atoms.join(" ")),
                prop::sample::select(vec!["", "()", "[]", "{}"]),
            )
                .prop_map(|(inner, group)| match group {
                    "" => inner,
                    g => format!("{}{inner}{}", &g[..1], &g[1..]),
                })
        })
    }

    /// As `run`, for `#[circuit_breaker]`.
    fn run_breaker(args: TokenStream, item: TokenStream) {
        let valid_input = syn::parse2::<syn::File>(item.clone()).is_ok();
        let out = breaker_impl(args, item);
        if valid_input {
            assert!(
                syn::parse2::<syn::File>(out.clone()).is_ok(),
                "unparsable output: {out}"
            );
        }
    }

    fn breaker_options() -> impl Strategy<Value = String> {
        let names = names(&crate::breaker::BREAKER_OPTIONS, &["failure_rat", "factor"]);
        let option = (prop::sample::select(names), 0..BREAKER_VALUES.len())
            .prop_map(|(name, v)| format!("{name} = {}", BREAKER_VALUES[v]));
        proptest::collection::vec(option, 0..5).prop_map(|opts| opts.join(", "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_breaker_options(options in breaker_options(), item in 0..ITEMS.len()) {
            run_breaker(tokens(&options), tokens(ITEMS[item]));
            run_breaker(tokens(&options), tokens("static PAYMENTS: backstop::BreakerHandle;"));
        }

        #[test]
        fn breaker_token_soup(args in soup(), item in soup()) {
            run_breaker(tokens(&args), tokens(&item));
        }

        #[test]
        fn random_option_lists(options in option_list(), item in 0..ITEMS.len()) {
            run(tokens(&options), tokens(ITEMS[item]));
        }

        #[test]
        fn random_token_soup(args in soup(), item in soup()) {
            run(tokens(&args), tokens(&item));
        }

        #[test]
        fn soup_on_a_real_fn(args in soup(), item in 0..ITEMS.len()) {
            run(tokens(&args), tokens(ITEMS[item]));
        }
    }
}
