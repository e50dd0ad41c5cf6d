//! SQLite syncs every commit unless told otherwise: an acknowledged command
//! survives a power loss by default.

use minibank::infrastructure::database::SqliteSynchronous;
use minibank::infrastructure::{PoolSettings, connect};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tempfile::TempDir;

async fn synchronous(db: &DatabaseConnection) -> i64 {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA synchronous")).await.unwrap();
    row.unwrap().try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn sqlite_syncs_every_commit_by_default_and_only_at_checkpoints_when_asked() {
    let dir = TempDir::new().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("durable.db").display());
    let default = connect(&url, &PoolSettings::default()).await.unwrap();
    assert_eq!(synchronous(&default).await, 2, "FULL by default");
    let normal = PoolSettings { sqlite_synchronous: SqliteSynchronous::Normal, ..PoolSettings::default() };
    let opted_out = connect(&url, &normal).await.unwrap();
    assert_eq!(synchronous(&opted_out).await, 1, "NORMAL when asked for");
}
