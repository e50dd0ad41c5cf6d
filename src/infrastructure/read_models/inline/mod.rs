//! Reading the read models' rows inline on SQLite: the statements the read
//! models build with SeaORM, run over
//! [`InlineReads`](crate::infrastructure::database::InlineReads) on the
//! request's own thread, their rows read into the same entity models.

mod bind;
mod models;

pub use bind::bind;
pub use models::InlineRow;
