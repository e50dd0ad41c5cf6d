//! Command handlers: load the aggregate, decide, append with the expected version.

pub mod account;
pub mod client;
pub(crate) mod execute;
pub mod transfer;

pub use execute::{Handled, Loaded, load, replay};
