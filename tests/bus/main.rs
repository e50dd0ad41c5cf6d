//! The application layer driven through the message bus, with the in-memory
//! event store and the real password hasher and number generator: no fakes.

mod accounts;
mod aggregate_cache;
mod concurrency;
mod event_handlers;
mod helpers;
mod idempotency;
mod intercepted_store;
mod live;
mod money;
mod registration;
mod retries;
mod routing;
mod snapshots;
mod wrong_kind;
