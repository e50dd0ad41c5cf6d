//! A fresh, migrated database per test and backend.

use std::future::Future;
use std::sync::Arc;

use minibank::infrastructure::{
    AccountsProjection, ClientsProjection, PoolSettings, Projection, SeaOrmEventStore, connect, migrate,
};
use sea_orm::DatabaseConnection;

use crate::test_database::TestDatabase;

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
    let sqlite = TestDatabase::sqlite();
    let url = sqlite.url().to_owned();
    let db = connect(&url, &PoolSettings::with_max_connections(1)).await.unwrap();
    migrate(&db).await.unwrap();
    test(Backend { name: "sqlite", db, url }).await;

    let Some(postgres) = TestDatabase::postgres_if_asked().await else {
        return;
    };
    let url = postgres.url().to_owned();
    let db = connect(&url, &PoolSettings::with_max_connections(8)).await.unwrap();
    migrate(&db).await.unwrap();
    test(Backend { name: "postgres", db: db.clone(), url }).await;
    db.close().await.unwrap();
}
