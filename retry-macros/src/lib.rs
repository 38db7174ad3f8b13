//! The attribute macros of backstop. Use them through the `backstop` crate.
