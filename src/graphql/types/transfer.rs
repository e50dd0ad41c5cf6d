use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Account, to_id};
use crate::application::AppError;
use crate::application::ports::TransferView;
use crate::application::queries::Queries;
use crate::graphql::errors::OrGql;
use crate::graphql::loaders::TransferLevel;
use crate::graphql::request::{actor, app};
use crate::graphql::scalars::Decimal;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::transfer::TransferStatus")]
pub enum TransferStatus {
    Pending,
    Completed,
    Failed,
}

pub struct Transfer(pub TransferView, Arc<TransferLevel>);

impl From<TransferView> for Transfer {
    fn from(view: TransferView) -> Self {
        let level = TransferLevel::new(vec![view.clone()]);
        Transfer(view, level)
    }
}

impl Transfer {
    /// A transfer of a list whose sides load with its siblings'.
    pub fn in_level(view: TransferView, level: &Arc<TransferLevel>) -> Self {
        Transfer(view, level.clone())
    }

    /// One side of the transfer: in full to whoever may see the account, else
    /// its public face (the sender sees the destination's number, not its balance).
    async fn side(&self, ctx: &Context<'_>, account_id: Uuid) -> async_graphql::Result<Account> {
        let queries = Queries::new(app(ctx), actor(ctx)?);
        match self.1.party(&queries, account_id).await.gql()? {
            Some((party, level)) if party.visible => Ok(Account::in_level(party.account, &level)),
            Some((party, _)) => Ok(Account::counterparty(party.account)),
            None => Err(AppError::Unexpected(anyhow::anyhow!("account {account_id} of a transfer is missing"))).gql(),
        }
    }
}

#[Object]
impl Transfer {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        self.side(ctx, self.0.from_account_id).await
    }

    async fn to(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        self.side(ctx, self.0.to_account_id).await
    }

    async fn amount(&self) -> Decimal {
        Decimal(self.0.amount)
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn status(&self) -> TransferStatus {
        self.0.status.into()
    }

    /// Why it FAILED, e.g. ACCOUNT_CLOSED or CURRENCY_MISMATCH.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }

    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}
