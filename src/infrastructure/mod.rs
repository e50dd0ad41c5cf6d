//! Adapters: concrete implementations of the application's ports — SeaORM
//! persistence on SQLite and PostgreSQL (the event store, its inline
//! projections and the read models built by them), an in-memory event store,
//! and the security adapters (password hashing, tokens, account numbers).

pub mod database;
pub mod entities;
pub mod event_store;
pub mod leadership;
pub mod memory;
pub mod nats;
pub mod notifications;
pub mod pool_gauges;
pub mod projections;
pub mod read_models;
pub mod security;
pub mod snapshot_store;

pub use database::{DatabaseHealth, PoolSettings, connect, connect_readers, migrate};
pub use event_store::SeaOrmEventStore;
pub use projections::{AccountsProjection, ClientsProjection, Projection, TransfersProjection};
pub use read_models::{SeaOrmAccountReadModel, SeaOrmCheckpoints, SeaOrmClientReadModel, SeaOrmTransferReadModel};
pub use snapshot_store::SeaOrmSnapshotStore;
