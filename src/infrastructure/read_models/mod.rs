//! Queries over the read model tables the projections maintain.

mod accounts;
mod clients;
mod search;

pub use accounts::SeaOrmAccountReadModel;
pub use clients::SeaOrmClientReadModel;
