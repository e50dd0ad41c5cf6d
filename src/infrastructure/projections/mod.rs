//! Inline projections: read models updated in the same transaction as the
//! events they are built from, so a read model never lags behind its commit.
//! A rebuild runs the same projections into shadow tables (see [`rebuild`]).

mod accounts;
mod checkpoint;
mod clients;
pub mod rebuild;
mod target;
mod transfers;
mod update_rows;

pub use accounts::AccountsProjection;
pub use checkpoint::{advance_checkpoint, advance_checkpoints, all_checkpoints, checkpoint};
pub use clients::ClientsProjection;
pub use target::Target;
pub use transfers::TransfersProjection;

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::DatabaseTransaction;

use crate::application::ports::RecordedEvent;
use crate::domain::DomainEvent;

/// Folds recorded events into a read model.
///
/// `apply` must be idempotent: applying an event that is already reflected
/// changes nothing, so a projection can be replayed from any position.
#[async_trait]
pub trait Projection: Send + Sync {
    /// Stable name, also the key of the projection's checkpoint row.
    fn name(&self) -> &'static str;

    /// The tables it writes, by their canonical names: a rebuild builds a
    /// shadow of each and swaps them all in at once.
    fn tables(&self) -> &'static [&'static str];

    /// Applies a run of events, in log order, to the tables of `target`,
    /// with a few statements for the whole run. Checkpoints are not this
    /// method's business: [`project`] moves them once per batch.
    async fn apply(&self, txn: &DatabaseTransaction, target: Target, events: &[RecordedEvent]) -> anyhow::Result<()>;
}

/// The domain event `event` records, or `None` for a type that `E` does not
/// know (written by newer code), which a projection passes over. Data of a
/// known type that does not read is an error, the same in every projection:
/// skipping it would let the read model drift from the log unnoticed.
fn read<E: DomainEvent>(event: &RecordedEvent) -> anyhow::Result<Option<E>> {
    if !E::EVENT_TYPES.contains(&event.event_type.as_str()) {
        return Ok(None);
    }
    E::from_stored(&event.event_type, event.schema_version, &event.data).map(Some).with_context(|| {
        format!(
            "the data of event {} ({} v{}) on stream {} is unreadable",
            event.id, event.event_type, event.schema_version, event.stream_id
        )
    })
}

/// The projections of the running service, in the order they are applied.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![Arc::new(ClientsProjection), Arc::new(AccountsProjection), Arc::new(TransfersProjection)]
}

/// Applies `events` (in log order) to every projection's `target` tables,
/// then, for a rebuild's shadow tables, moves every projection's checkpoint
/// to the last position in one statement (one write per batch, however many
/// events and projections it holds).
pub async fn project(
    txn: &DatabaseTransaction,
    projections: &[Arc<dyn Projection>],
    target: Target,
    events: &[RecordedEvent],
) -> anyhow::Result<()> {
    let Some(last) = events.last() else {
        return Ok(());
    };
    for projection in projections {
        projection
            .apply(txn, target, events)
            .await
            .with_context(|| format!("projection {} failed", projection.name()))?;
    }
    if target == Target::Live {
        // In the commit's own transaction: the projections are exactly as far
        // as the log, and a row per projection rewritten by every commit
        // would make concurrent commits queue for it on PostgreSQL.
        return Ok(());
    }
    let names: Vec<String> = projections.iter().map(|p| target.checkpoint(p.name())).collect();
    advance_checkpoints(txn, &names, last.position).await
}
