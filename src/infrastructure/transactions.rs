//! Beginning a transaction that will write.

use anyhow::Context;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// A transaction that writes. On SQLite it takes the write lock at `BEGIN`
/// (waiting up to the busy timeout): a deferred transaction that read first
/// fails with "database is locked" at its first write if another connection
/// (another process: a rebuild, `create-admin`) committed in between, and no
/// busy timeout helps with that.
pub async fn begin_write(db: &DatabaseConnection) -> anyhow::Result<DatabaseTransaction> {
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => {
            TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() }
        }
        _ => TransactionOptions::default(),
    };
    db.begin_with_options(options).await.context("cannot begin a transaction")
}
