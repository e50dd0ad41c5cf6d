use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use super::{TransactionKind, to_id};
use crate::application::ports::TransactionView;
use crate::graphql::scalars::{Decimal, Position};

#[derive(Clone)]
pub struct Transaction(pub TransactionView);

impl From<TransactionView> for Transaction {
    fn from(view: TransactionView) -> Self {
        Transaction(view)
    }
}

#[Object]
impl Transaction {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn kind(&self) -> TransactionKind {
        self.0.kind.into()
    }

    async fn amount(&self) -> Decimal {
        Decimal(self.0.amount)
    }

    /// Balance of the account right after this transaction.
    async fn balance_after(&self) -> Decimal {
        Decimal(self.0.balance_after)
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn transfer_id(&self) -> Option<ID> {
        self.0.transfer_id.map(to_id)
    }

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
