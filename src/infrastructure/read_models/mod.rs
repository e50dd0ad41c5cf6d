//! Queries over the read model tables the projections maintain.

mod account_events;
mod accounts;
mod checkpoints;
mod clients;
mod inline;
mod per_parent;
mod rows;
mod search;
mod transfers;

pub use accounts::SeaOrmAccountReadModel;
pub use checkpoints::SeaOrmCheckpoints;
pub use clients::SeaOrmClientReadModel;
pub use transfers::SeaOrmTransferReadModel;
