use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use super::{AccountStatus, to_id};
use crate::application::queries;
use crate::graphql::scalars::Decimal;

/// State of an account rebuilt from its own events as of a version or an instant.
pub struct AccountSnapshot(pub queries::AccountSnapshot);

/// State of an account rebuilt from its own events as of a version or an
/// instant (see `accountAt`).
#[Object]
impl AccountSnapshot {
    /// The account's id.
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The account's number.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// ISO 4217 code, e.g. EUR.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// Balance at that point.
    async fn balance(&self) -> Decimal {
        Decimal(self.0.balance)
    }

    /// Overdraft limit at that point.
    async fn overdraft_limit(&self) -> Decimal {
        Decimal(self.0.overdraft_limit)
    }

    /// Status at that point.
    async fn status(&self) -> AccountStatus {
        self.0.status.into()
    }

    /// Version of the last event applied (the stream's version at that point).
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// recordedAt of the last event applied.
    async fn as_of(&self) -> DateTime<Utc> {
        self.0.as_of
    }
}
