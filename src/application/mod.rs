//! Use cases: the message bus, command handlers, queries with their
//! authorization, and the ports (traits) the adapters implement.

pub mod access;
pub mod accounts;
pub mod actor;
pub mod aggregate_cache;
pub mod auth;
pub mod bus;
pub mod commands;
pub mod context;
pub mod error;
pub mod handlers;
pub mod live;
pub mod login_throttle;
pub mod pagination;
pub mod ports;
pub mod process;
pub mod queries;
pub mod relay;
pub mod snapshots;
pub mod stream_locks;
pub mod transfers;

pub use actor::Actor;
pub use aggregate_cache::AggregateCache;
pub use bus::{EventHandler, MessageBus};
pub use context::AppContext;
pub use error::AppError;
pub use snapshots::Snapshots;
