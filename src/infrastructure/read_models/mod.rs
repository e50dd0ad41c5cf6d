//! Queries over the read model tables the projections maintain.

mod accounts;
mod clients;

pub use accounts::SeaOrmAccountReadModel;
pub use clients::SeaOrmClientReadModel;
