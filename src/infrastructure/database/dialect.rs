//! What differs between the two databases, chosen once per connection:
//! how a write transaction begins, how appends are put in position order,
//! how a rebuild stops them, how migrations exclude each other, and how a
//! hand-written statement names its parameters.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};

use super::{postgres, sqlite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of a connection (SQLite unless it is PostgreSQL: the
    /// only two databases minibank opens).
    pub fn of<C: ConnectionTrait>(conn: &C) -> Self {
        match conn.get_database_backend() {
            DbBackend::Postgres => Dialect::Postgres,
            _ => Dialect::Sqlite,
        }
    }

    pub fn backend(self) -> DbBackend {
        match self {
            Dialect::Sqlite => DbBackend::Sqlite,
            Dialect::Postgres => DbBackend::Postgres,
        }
    }

    /// A transaction that will write.
    pub async fn begin_write(self, db: &DatabaseConnection) -> anyhow::Result<DatabaseTransaction> {
        match self {
            Dialect::Sqlite => sqlite::begin_write(db).await,
            Dialect::Postgres => postgres::begin_write(db).await,
        }
    }

    /// Makes the appends of `txn` the next in position order, for as long
    /// as `txn` runs (see [`postgres::order_appends`]); SQLite's single
    /// writer orders them already.
    pub async fn order_appends(self, txn: &DatabaseTransaction) -> anyhow::Result<()> {
        match self {
            Dialect::Sqlite => Ok(()),
            Dialect::Postgres => postgres::order_appends(txn).await,
        }
    }

    /// Holds back every append until `txn` ends, once the appends in flight
    /// have ended: the whole log is visible to `txn` and stays as it is (a
    /// rebuild's switch). On SQLite a write transaction excludes every other
    /// writer already.
    pub async fn stop_appends(self, txn: &DatabaseTransaction) -> anyhow::Result<()> {
        self.order_appends(txn).await.context("cannot stop appends")
    }

    /// Runs `migrate` so that instances starting at once take turns.
    pub async fn migrate(self, db: &DatabaseConnection) -> anyhow::Result<()> {
        match self {
            Dialect::Sqlite => sqlite::migrate(db).await,
            Dialect::Postgres => postgres::migrate(db).await,
        }
    }

    /// The `n`-th (1-based) parameter of a hand-written statement.
    pub fn parameter(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }
}
