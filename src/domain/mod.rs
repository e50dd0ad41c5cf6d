//! The pure core: aggregates, commands, events, value objects and business errors.
//! Nothing here knows about databases, HTTP or GraphQL.

pub mod account;
pub mod client;
pub mod error;
pub mod event;
pub mod transfer;
pub mod value;

pub use error::DomainError;
pub use event::{DomainEvent, StreamType, UpcastError, Upcaster, current_schema_version, upcast};
pub mod aggregate;
pub use aggregate::Aggregate;
