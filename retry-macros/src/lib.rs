//! The attribute macros of backstop. Use them through the `backstop` crate, whose
//! documentation describes every option.
//!
//! The crate is a pipeline: [`args`] reads the options' shape, [`config`] what they mean
//! (range checks happen there), [`expand`] checks the fn and writes the retry loop.

use proc_macro::TokenStream;

mod args;
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

fn retry_impl(
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
