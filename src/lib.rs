//! backstop
#[doc(hidden)]
pub use retry_core::private as __private;
pub use retry_core::*;
pub use retry_macros::retry;
