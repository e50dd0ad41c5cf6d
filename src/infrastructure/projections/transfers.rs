//! Builds the `transfers` read model from transfer streams.

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, EntityTrait, Set, Value};

use super::update_rows::{Assign, RowUpdates};
use super::{Projection, Target, read};
use crate::application::ports::RecordedEvent;
use crate::domain::StreamType;
use crate::domain::transfer::{TransferEvent, TransferStatus};
use crate::domain::value::to_cents;
use crate::infrastructure::database::ROWS_PER_STATEMENT;
use crate::infrastructure::entities::transfer;

/// Idempotent like the accounts projection: a row moves only from the
/// version just before the event's.
#[derive(Debug, Default, Clone, Copy)]
pub struct TransfersProjection;

impl TransfersProjection {
    pub const NAME: &'static str = "transfers";
}

#[async_trait]
impl Projection for TransfersProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["transfers"]
    }

    async fn apply(&self, txn: &DatabaseTransaction, target: Target, events: &[RecordedEvent]) -> anyhow::Result<()> {
        let mut requested = Vec::new();
        let mut finished: Vec<Vec<Value>> = Vec::new();
        for event in events.iter().filter(|e| e.stream_type == StreamType::Transfer) {
            let Some(parsed) = read::<TransferEvent>(event)? else {
                continue;
            };
            match parsed {
                TransferEvent::TransferRequested(request) => requested.push(transfer::ActiveModel {
                    id: Set(event.stream_id),
                    from_account_id: Set(request.from_account_id),
                    to_account_id: Set(request.to_account_id),
                    amount_cents: Set(to_cents(request.amount.value())),
                    currency: Set(request.currency.as_str().to_owned()),
                    description: Set(request.description.map(|d| d.as_str().to_owned())),
                    status: Set(TransferStatus::Pending.as_str().to_owned()),
                    failure_reason: Set(None),
                    requested_at: Set(event.recorded_at),
                    completed_at: Set(None),
                    version: Set(event.version),
                }),
                TransferEvent::TransferCompleted {} => {
                    finished.push(finish(event, TransferStatus::Completed, None));
                }
                TransferEvent::TransferFailed { reason } => {
                    finished.push(finish(event, TransferStatus::Failed, Some(reason)));
                }
            }
        }
        for chunk in requested.chunks(ROWS_PER_STATEMENT) {
            let insert = transfer::Entity::insert_many(chunk.to_vec())
                .on_conflict(OnConflict::column(transfer::Column::Id).do_nothing().to_owned());
            target.insert(insert).exec_without_returning(txn).await.context("cannot insert the transfers")?;
        }
        if !finished.is_empty() {
            // A transfer finishes once, right after its request: one change
            // per row, as the multi-row update needs.
            let table = target.table("transfers");
            RowUpdates { table: &table, columns: &FINISHED_COLUMNS, rows: finished }.apply(txn).await?;
        }
        Ok(())
    }
}

const FINISHED_COLUMNS: [(&str, Assign); 4] = [
    ("version", Assign::Always),
    ("status", Assign::Always),
    ("failure_reason", Assign::Always),
    ("completed_at", Assign::Always),
];

fn finish(event: &RecordedEvent, status: TransferStatus, reason: Option<String>) -> Vec<Value> {
    vec![
        event.stream_id.into(),
        (event.version - 1).into(),
        event.version.into(),
        status.as_str().to_owned().into(),
        reason.into(),
        Some(event.recorded_at).into(),
    ]
}
