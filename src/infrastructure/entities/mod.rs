//! SeaORM entities, one per table created by the migration.

pub mod account;
pub mod account_transaction;
pub mod client;
pub mod event;
pub mod processed_command;
pub mod projection_checkpoint;
pub mod snapshot;
pub mod transfer;
pub mod unique_claim;
