//! A fresh, migrated database per test and backend.

use std::future::Future;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Once};

use futures::FutureExt;
use minibank::infrastructure::{
    AccountsProjection, ClientsProjection, PoolSettings, Projection, SeaOrmEventStore, connect, migrate,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tempfile::TempDir;
use uuid::Uuid;

use crate::test_database::with_database;

pub struct Backend {
    pub name: &'static str,
    pub db: DatabaseConnection,
    /// Where `db` points, for tests that open more connections of their own.
    pub url: String,
}

impl Backend {
    /// The store with the clients and accounts projections inline (the
    /// transfers projection is left out: these tests write no transfers).
    pub fn store(&self) -> SeaOrmEventStore {
        let projections: Vec<Arc<dyn Projection>> = vec![Arc::new(ClientsProjection), Arc::new(AccountsProjection)];
        SeaOrmEventStore::new(self.db.clone(), projections)
    }
}

/// Runs `test` on a fresh SQLite file database, then on a fresh PostgreSQL
/// database when `TEST_DATABASE_URL` is set (dropped afterwards, also when
/// the test panics).
pub async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = TempDir::new().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    let db = connect(&url, &PoolSettings::with_max_connections(1)).await.unwrap();
    migrate(&db).await.unwrap();
    test(Backend { name: "sqlite", db, url }).await;

    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        report_postgres_skipped();
        return;
    };
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    let name = format!("minibank_test_{}", Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let url = with_database(&admin_url, &name);
    let db = connect(&url, &PoolSettings::with_max_connections(8)).await.unwrap();
    let outcome = AssertUnwindSafe(async {
        migrate(&db).await.unwrap();
        test(Backend { name: "postgres", db: db.clone(), url }).await;
    })
    .catch_unwind()
    .await;
    db.close().await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Says once per run, past the test harness's output capture, that only
/// SQLite was tested.
fn report_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "TEST_DATABASE_URL is not set: the PostgreSQL part of the store tests was skipped"
        );
    });
}
