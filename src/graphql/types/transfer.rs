use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Account, to_id};
use crate::application::AppError;
use crate::application::ports::TransferView;
use crate::application::queries::Queries;
use crate::graphql::app_errors::OrGql;
use crate::graphql::loaders::TransferLevel;
use crate::graphql::request::{actor, app};
use crate::graphql::scalars::Decimal;

/// Where a transfer stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::transfer::TransferStatus")]
pub enum TransferStatus {
    /// Requested and debited from the source; not yet credited to the destination.
    Pending,
    /// The destination was credited.
    Completed,
    /// The destination refused the money (see `failureReason`); the source got it back as a TRANSFER_REFUND.
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

/// Money sent from one account to another in the same currency. It settles
/// in two steps (debit, then credit or refund), usually before `transfer`
/// answers; a customer sees only the public face of the other side's account.
#[Object]
impl Transfer {
    /// Opaque, unique identifier (a UUID).
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The account the money leaves.
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        self.side(ctx, self.0.from_account_id).await
    }

    /// The account the money goes to.
    async fn to(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        self.side(ctx, self.0.to_account_id).await
    }

    /// How much, always positive, in the accounts' currency.
    async fn amount(&self) -> Decimal {
        Decimal(self.0.amount)
    }

    /// The sender's note; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// PENDING, COMPLETED or FAILED.
    async fn status(&self) -> TransferStatus {
        self.0.status.into()
    }

    /// Why it FAILED, e.g. ACCOUNT_CLOSED or CURRENCY_MISMATCH.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    /// When the transfer was requested.
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }

    /// When it settled (COMPLETED or FAILED); null while PENDING.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}
