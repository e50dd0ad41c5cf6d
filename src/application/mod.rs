//! Use cases and the ports (traits) the adapters implement. One door per
//! use case; the entry points (GraphQL, HTTP, NATS, the command line) only
//! translate to and from them:
//!
//! | use case | door |
//! | --- | --- |
//! | any command | [`MessageBus::run`], whose routing table sends it to one of [`handlers`] |
//! | an account mutation, answered with the account it left | [`accounts::change_account`] |
//! | a transfer, answered with its outcome when it settles in time | [`transfer_request::request_transfer`] |
//! | sign up, sign in | [`sign_in::register`], [`sign_in::login`] |
//! | who a token names | [`auth::authenticate`] |
//! | reads | [`queries::Queries`] |
//! | live events | [`live::LiveFeed`] with [`live::Visibility`]; [`live::account_updates`] |
//!
//! Who may do and see what is decided in one place, [`access`].

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
pub mod public_event;
pub mod queries;
pub mod relay;
pub mod sign_in;
pub mod snapshots;
pub mod stream_locks;
pub mod transfer_request;

pub use actor::Actor;
pub use aggregate_cache::AggregateCache;
pub use bus::{EventHandler, MessageBus};
pub use context::AppContext;
pub use error::AppError;
pub use snapshots::Snapshots;
