//! SeaORM entities, one per table created by the migration.

pub mod account;
pub mod account_transaction;
pub mod client;
pub mod event;
pub mod projection_checkpoint;
pub mod snapshot;
pub mod unique_claim;
