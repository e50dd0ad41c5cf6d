//! How minibank uses PostgreSQL: plain write transactions, appends in
//! position order under a transaction-level advisory lock, migrations under
//! another.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

/// Key of the advisory lock that orders appends ("mbevents").
pub const APPEND_ORDER_LOCK: i64 = 0x6d62_6576_656e_7473;

/// Key of the advisory lock that serializes migrations ("mbmigrat").
const MIGRATION_LOCK: i64 = 0x6d62_6d69_6772_6174;

pub async fn begin_write(db: &DatabaseConnection) -> anyhow::Result<DatabaseTransaction> {
    db.begin().await.context("cannot begin a transaction")
}

/// Positions come from a sequence, but a row becomes visible only when its
/// transaction commits: if transactions could commit in any order, a reader
/// following the log with "after P" would skip an event that commits late
/// with a smaller position. So a transaction that appends takes this lock
/// before it draws positions and keeps it until it has committed (PostgreSQL
/// releases transaction locks after the commit is visible): appends become
/// visible in position order, and `position > P` is exact for every reader,
/// with no bound to compute. One group commit takes it once for all its
/// commands, so one flush carries a whole batch; instances sharing the
/// database take turns batch by batch.
pub async fn order_appends(txn: &DatabaseTransaction) -> anyhow::Result<()> {
    let lock = "SELECT pg_advisory_xact_lock($1)";
    txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, lock, [APPEND_ORDER_LOCK.into()]))
        .await
        .context("cannot take the append order lock")?;
    Ok(())
}

/// The migrations run in one transaction (PostgreSQL's DDL is transactional)
/// under an advisory lock, so instances starting at once wait for the first
/// and then find nothing left to do.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    use migration::MigratorTrait;
    let txn = db.begin().await.context("cannot begin the migration transaction")?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await
        .context("cannot take the migration lock")?;
    migration::Migrator::up(&txn, None).await.context("cannot migrate the database")?;
    txn.commit().await.context("cannot commit the migrations")
}
