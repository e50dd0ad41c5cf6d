//! Adapters: SeaORM persistence on SQLite and PostgreSQL (the event store,
//! its inline projections and the read models built by them).

pub mod database;
pub mod entities;
pub mod event_store;
pub mod projections;
pub mod read_models;

pub use database::{DatabaseHealth, connect, migrate};
pub use event_store::SeaOrmEventStore;
pub use projections::{AccountsProjection, ClientsProjection, Projection};
pub use read_models::{SeaOrmAccountReadModel, SeaOrmClientReadModel};
