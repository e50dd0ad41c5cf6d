//! [`TransferReadModel`] over the `transfers` table.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::rows::RowSource;
use crate::infrastructure::database::InlineReads;

use crate::application::ports::{TransferReadModel, TransferView};
use crate::domain::transfer::TransferStatus;
use crate::domain::value::from_cents;
use crate::infrastructure::entities::transfer;

#[derive(Clone)]
pub struct SeaOrmTransferReadModel {
    /// Which transfers involve some accounts (as many as there are).
    db: DatabaseConnection,
    /// Transfers by id.
    rows: RowSource,
}

impl SeaOrmTransferReadModel {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmTransferReadModel { rows: RowSource::pooled(db.clone()), db }
    }

    /// The same read model, reading transfers by id inline.
    pub fn with_inline_reads(self, inline: Arc<InlineReads>) -> Self {
        SeaOrmTransferReadModel { rows: self.rows.with_inline_reads(inline), ..self }
    }
}

#[async_trait]
impl TransferReadModel for SeaOrmTransferReadModel {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<TransferView>> {
        let query = transfer::Entity::find_by_id(id).limit(1).into_query();
        let rows = self.rows.all::<transfer::Model>(&query).await.context("cannot read a transfer")?;
        rows.into_iter().next().map(to_view).transpose()
    }

    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<TransferView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = transfer::Entity::find().filter(transfer::Column::Id.is_in(ids.iter().copied())).into_query();
        let rows = self.rows.all::<transfer::Model>(&query).await.context("cannot read transfers")?;
        rows.into_iter().map(to_view).collect()
    }

    async fn ids_involving(&self, account_ids: &[Uuid]) -> anyhow::Result<Vec<Uuid>> {
        if account_ids.is_empty() {
            return Ok(Vec::new());
        }
        let involving = Condition::any()
            .add(transfer::Column::FromAccountId.is_in(account_ids.iter().copied()))
            .add(transfer::Column::ToAccountId.is_in(account_ids.iter().copied()));
        transfer::Entity::find()
            .select_only()
            .column(transfer::Column::Id)
            .filter(involving)
            .into_tuple()
            .all(&self.db)
            .await
            .context("cannot list transfers")
    }
}

fn to_view(row: transfer::Model) -> anyhow::Result<TransferView> {
    let status = TransferStatus::parse(&row.status)
        .with_context(|| format!("transfer {} has an unknown status {}", row.id, row.status))?;
    Ok(TransferView {
        id: row.id,
        from_account_id: row.from_account_id,
        to_account_id: row.to_account_id,
        amount: from_cents(row.amount_cents),
        currency: row.currency,
        description: row.description,
        status,
        failure_reason: row.failure_reason,
        requested_at: row.requested_at,
        completed_at: row.completed_at,
    })
}
