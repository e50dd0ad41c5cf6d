//! What the application needs from the outside world, as traits held as
//! `Arc<dyn …>`; `bootstrap` alone picks the concrete adapters.

pub mod event_store;
pub mod read_models;
pub mod security;
pub mod snapshot_store;

pub use event_store::*;
pub use read_models::*;
pub use security::*;
pub use snapshot_store::*;
