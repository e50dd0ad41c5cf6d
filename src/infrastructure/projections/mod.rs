//! Inline projections: read models updated in the same transaction as the
//! events they are built from, so a read model never lags behind its commit.

mod accounts;
mod checkpoint;
mod clients;
mod transfers;

pub use accounts::AccountsProjection;
pub use checkpoint::{advance_checkpoint, checkpoint};
pub use clients::ClientsProjection;
pub use transfers::TransfersProjection;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;

use crate::application::ports::RecordedEvent;

/// Folds recorded events into a read model.
///
/// `apply` must be idempotent: applying an event that is already reflected
/// changes nothing, so a projection can be replayed from any position.
#[async_trait]
pub trait Projection: Send + Sync {
    /// Stable name, also the key of the projection's checkpoint row.
    fn name(&self) -> &'static str;

    async fn apply(&self, txn: &DatabaseTransaction, event: &RecordedEvent) -> anyhow::Result<()>;
}
