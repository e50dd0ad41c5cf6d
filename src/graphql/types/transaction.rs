use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{TransactionKind, Transfer, to_id};
use crate::application::ports::TransactionView;
use crate::application::queries::Queries;
use crate::graphql::app_errors::OrGql;
use crate::graphql::loaders::TransactionLevel;
use crate::graphql::request::{actor, app};
use crate::graphql::scalars::{Decimal, Position};

#[derive(Clone)]
pub struct Transaction(pub TransactionView, Arc<TransactionLevel>);

impl Transaction {
    /// A transaction of a list whose transfers load with its siblings'.
    pub fn in_level(view: TransactionView, level: &Arc<TransactionLevel>) -> Self {
        Transaction(view, level.clone())
    }
}

/// One movement of money on one account, as its statement shows it.
#[Object]
impl Transaction {
    /// Opaque, unique identifier (the id of the event that recorded it).
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// Deposit, withdrawal or transfer leg; gives the direction of `amount`.
    async fn kind(&self) -> TransactionKind {
        self.0.kind.into()
    }

    /// How much moved, always positive, in the account's currency, e.g. "25.00".
    async fn amount(&self) -> Decimal {
        Decimal(self.0.amount)
    }

    /// Balance of the account right after this transaction.
    async fn balance_after(&self) -> Decimal {
        Decimal(self.0.balance_after)
    }

    /// The caller's note given with the deposit, withdrawal or transfer; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Id of the transfer that moved this money; null for deposits and withdrawals.
    async fn transfer_id(&self) -> Option<ID> {
        self.0.transfer_id.map(to_id)
    }

    /// The transfer that moved this money; null for deposits and withdrawals.
    async fn transfer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Transfer>> {
        let Some(transfer_id) = self.0.transfer_id else {
            return Ok(None);
        };
        let loaded = self.1.transfer(&Queries::new(app(ctx), actor(ctx)?), transfer_id).await.gql()?;
        Ok(loaded.map(|(view, level)| Transfer::in_level(view, &level)))
    }

    /// When the movement was recorded.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Global position of the event that recorded it.
    async fn position(&self) -> Position {
        Position(self.0.position)
    }

    /// Account stream version of that event.
    async fn version(&self) -> i32 {
        self.0.version
    }
}
