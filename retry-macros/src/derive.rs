//! `#[derive(Retryable)]`: a classification per enum variant.
//!
//! Input:
//!
//! ```text
//! #[derive(Retryable)]
//! #[retryable(default = permanent)]
//! enum Error {
//!     #[retryable(transient)] Timeout,
//!     #[retryable(delegate)] Io(std::io::Error),
//!     BadRequest(String),
//! }
//! ```
//!
//! Output:
//!
//! ```text
//! impl Retryable for Error where std::io::Error: Retryable {
//!     fn classify(&self) -> Classification {
//!         match self {
//!             Self::Timeout { .. } => Classification::Transient,
//!             Self::Io(inner) => Retryable::classify(inner),
//!             Self::BadRequest { .. } => Classification::Permanent,
//!         }
//!     }
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Generics, Ident, Item, Path, Token};

use crate::args::Errors;
use crate::suggest;

enum Mark {
    Transient,
    Permanent,
    Delegate,
}

const VARIANT_MARKS: [&str; 3] = ["transient", "permanent", "delegate"];

pub(crate) fn retryable(input: TokenStream) -> TokenStream {
    let item: Item = match syn::parse2(input) {
        Ok(item) => item,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let data = match item {
        Item::Enum(data) => data,
        Item::Struct(item) => return not_an_enum(&item.attrs, &item.ident, &item.generics),
        Item::Union(item) => return not_an_enum(&item.attrs, &item.ident, &item.generics),
        other => return syn::Error::new(other.span(), "expected an enum").to_compile_error(),
    };
    let (default, krate) = container(&data.attrs, &mut errors);
    let krate = krate.unwrap_or_else(|| syn::parse_quote!(::backstop));
    let name = &data.ident;
    let (impl_generics, ty_generics, where_clause) = data.generics.split_for_impl();
    let class = quote!(#krate::Classification);

    let mut arms = Vec::new();
    let mut bounds = Vec::new();
    for variant in &data.variants {
        let ident = &variant.ident;
        let mark = variant_mark(&variant.attrs, &mut errors).or(match default {
            Some((true, _)) => Some(Mark::Transient),
            Some((false, _)) => Some(Mark::Permanent),
            None => None,
        });
        match mark {
            Some(Mark::Transient) => arms.push(quote!(Self::#ident { .. } => #class::Transient)),
            Some(Mark::Permanent) => arms.push(quote!(Self::#ident { .. } => #class::Permanent)),
            Some(Mark::Delegate) => {
                let field = match &variant.fields {
                    Fields::Unnamed(fields) if fields.unnamed.len() == 1 => &fields.unnamed[0],
                    Fields::Named(fields) if fields.named.len() == 1 => &fields.named[0],
                    _ => {
                        errors.at(
                            ident.span(),
                            "`#[retryable(delegate)]` needs a variant with exactly one field, \
                             whose type is `Retryable`",
                        );
                        continue;
                    }
                };
                let ty = &field.ty;
                bounds.push(quote_spanned!(ty.span()=> #ty: #krate::Retryable));
                let pattern = match &field.ident {
                    Some(field) => quote!(Self::#ident { #field: __bs_inner }),
                    None => quote!(Self::#ident(__bs_inner)),
                };
                arms.push(quote!(#pattern => #krate::Retryable::classify(__bs_inner)));
            }
            None => errors.at(
                ident.span(),
                format!(
                    "variant `{ident}` needs `#[retryable(transient)]`, \
                     `#[retryable(permanent)]` or `#[retryable(delegate)]`, or the enum a \
                     `#[retryable(default = transient | permanent)]`"
                ),
            ),
        }
    }
    if let Err(error) = errors.finish() {
        let mut out = error.to_compile_error();
        out.extend(stub(name, &data.generics, &krate));
        return out;
    }

    let predicates = where_clause.map(|w| &w.predicates);
    let comma = predicates
        .filter(|p| !p.empty_or_trailing())
        .map(|_| quote!(,));
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Retryable for #name #ty_generics
        where #predicates #comma #(#bounds,)*
        {
            fn classify(&self) -> #class {
                match self {
                    #(#arms,)*
                }
            }
        }
    }
}

/// The enum's own `#[retryable(default = ..., crate = ...)]`. The default is
/// `(is_transient, span)`.
fn container(attrs: &[Attribute], errors: &mut Errors) -> (Option<(bool, Span)>, Option<Path>) {
    let mut default = None;
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("retryable")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                let value: Ident = meta.value()?.parse()?;
                let transient = match value.to_string().as_str() {
                    "transient" => true,
                    "permanent" => false,
                    _ => {
                        return Err(syn::Error::new(
                            value.span(),
                            "expected `default = transient` or `default = permanent`",
                        ));
                    }
                };
                if default.replace((transient, value.span())).is_some() {
                    return Err(meta.error("`default` is given more than once"));
                }
                Ok(())
            } else if meta.path.is_ident("crate") {
                krate = Some(meta.value()?.parse::<Path>()?);
                Ok(())
            } else {
                Err(meta.error(
                    "on the enum, expected `#[retryable(default = transient | permanent)]` \
                     or `#[retryable(crate = path)]`; variants take `transient`, `permanent` \
                     or `delegate`",
                ))
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    (default, krate)
}

fn variant_mark(attrs: &[Attribute], errors: &mut Errors) -> Option<Mark> {
    let mut mark = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("retryable")) {
        let result = attr.parse_args_with(|input: syn::parse::ParseStream| {
            let ident: Ident = input.parse()?;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
            if !input.is_empty() {
                return Err(input.error("a variant takes one mark"));
            }
            Ok(ident)
        });
        let ident = match result {
            Ok(ident) => ident,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let found = match ident.to_string().as_str() {
            "transient" => Mark::Transient,
            "permanent" => Mark::Permanent,
            "delegate" => Mark::Delegate,
            other => {
                let hint = suggest::closest(other, &VARIANT_MARKS)
                    .map(|close| format!("; did you mean `{close}`?"))
                    .unwrap_or_default();
                errors.at(
                    ident.span(),
                    format!(
                        "unknown mark `{other}`: expected {}{hint}",
                        suggest::one_of(&VARIANT_MARKS)
                    ),
                );
                continue;
            }
        };
        if mark.replace(found).is_some() {
            errors.at(attr.span(), "a variant takes one `#[retryable(...)]` mark");
        }
    }
    mark
}

fn not_an_enum(attrs: &[Attribute], name: &Ident, generics: &Generics) -> TokenStream {
    let mut errors = Errors::default();
    let (_, krate) = container(attrs, &mut errors);
    let krate = krate.unwrap_or_else(|| syn::parse_quote!(::backstop));
    errors.at(
        name.span(),
        "`#[derive(Retryable)]` classifies the variants of an enum; for a struct, implement \
         `Retryable` by hand",
    );
    let mut out = errors
        .finish()
        .err()
        .map(|e| e.to_compile_error())
        .unwrap_or_default();
    out.extend(stub(name, generics, &krate));
    out
}

/// An impl that keeps the rest of the crate from piling up "not `Retryable`" errors
/// while the real ones are fixed.
fn stub(name: &Ident, generics: &Generics, krate: &Path) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        impl #impl_generics #krate::Retryable for #name #ty_generics #where_clause {
            fn classify(&self) -> #krate::Classification {
                #krate::Classification::Permanent
            }
        }
    }
}
