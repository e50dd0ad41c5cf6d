//! Command handlers: load the aggregate, decide, append with the expected
//! version; the bus routes each command to one of them.

pub mod account;
pub mod client;
mod execute;
mod load;
mod retry;
mod services;
pub mod transfer;

pub use execute::Handled;
pub use load::{Loaded, load, replay};
pub use services::{AfterCommit, HandlerServices};
