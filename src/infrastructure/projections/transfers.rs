//! Builds the `transfers` read model from transfer streams.

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, SimpleExpr};
use sea_orm::{DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::{Projection, Target};
use crate::application::ports::RecordedEvent;
use crate::domain::transfer::{TransferEvent, TransferStatus};
use crate::domain::value::to_cents;
use crate::domain::{DomainEvent, StreamType};
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

    async fn apply(&self, txn: &DatabaseTransaction, target: Target, event: &RecordedEvent) -> anyhow::Result<()> {
        if event.stream_type != StreamType::Transfer {
            return Ok(());
        }
        project(txn, target, event)
            .await
            .with_context(|| format!("cannot project event {} on transfer {}", event.id, event.stream_id))
    }
}

async fn project(txn: &DatabaseTransaction, target: Target, event: &RecordedEvent) -> anyhow::Result<()> {
    let Ok(parsed) = TransferEvent::from_stored(&event.event_type, event.schema_version, &event.data) else {
        return Ok(()); // a type this version does not know
    };
    let finished = |status: TransferStatus, reason: Option<String>| {
        vec![
            (transfer::Column::Status, Expr::value(status.as_str())),
            (transfer::Column::FailureReason, Expr::value(reason)),
            (transfer::Column::CompletedAt, Expr::value(Some(event.recorded_at))),
        ]
    };
    match parsed {
        TransferEvent::TransferRequested(request) => {
            let row = transfer::ActiveModel {
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
            };
            let insert = transfer::Entity::insert(row)
                .on_conflict(OnConflict::column(transfer::Column::Id).do_nothing().to_owned());
            target.insert(insert).exec_without_returning(txn).await?;
            Ok(())
        }
        TransferEvent::TransferCompleted {} => {
            bump(txn, target, event, finished(TransferStatus::Completed, None)).await
        }
        TransferEvent::TransferFailed { reason } => {
            bump(txn, target, event, finished(TransferStatus::Failed, Some(reason))).await
        }
    }
}

async fn bump(
    txn: &DatabaseTransaction,
    target: Target,
    event: &RecordedEvent,
    set: Vec<(transfer::Column, SimpleExpr)>,
) -> anyhow::Result<()> {
    let mut update = transfer::Entity::update_many().col_expr(transfer::Column::Version, Expr::value(event.version));
    for (column, value) in set {
        update = update.col_expr(column, value);
    }
    target
        .update(update)
        .filter(Expr::col(transfer::Column::Id).eq(event.stream_id))
        .filter(Expr::col(transfer::Column::Version).eq(event.version - 1))
        .exec(txn)
        .await?;
    Ok(())
}
