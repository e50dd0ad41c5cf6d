//! The read models on SQLite with their keyed reads (one account, a page of
//! one account's transactions, one client) run on the caller's thread
//! ([`InlineReads`](crate::infrastructure::database::InlineReads)); every
//! other read goes to the SeaORM read model they wrap. Both read the same
//! rows into the same entity models, so the views are made by the same code.

mod accounts;
mod clients;
mod rows;

pub use accounts::InlineAccountReadModel;
pub use clients::InlineClientReadModel;
