//! Queries over the read model tables the projections maintain.

mod account_events;
mod accounts;
mod clients;
mod per_parent;
mod search;
mod transfers;

pub use accounts::SeaOrmAccountReadModel;
pub use clients::SeaOrmClientReadModel;
pub use transfers::{SeaOrmCheckpoints, SeaOrmTransferReadModel};
