//! Gap-free global order: a reader that follows the log with `position > last`
//! sees every event exactly once, in order, while 16 writers commit out of
//! order whenever they can.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use minibank::application::ports::{EventFilter, EventStore, RecordedEvent};
use minibank::domain::StreamType;
use minibank::infrastructure::projections::Target;
use minibank::infrastructure::{AccountsProjection, ClientsProjection, Projection, SeaOrmEventStore};
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait};
use uuid::Uuid;

use crate::events::{append, deposited, opened};
use crate::support::on_each_backend;

const WRITERS: usize = 16;
const EVENTS_PER_WRITER: usize = 30;

/// Sleeps inside the append transaction, between the insert (which takes a
/// position) and the commit (which makes it visible).
struct Dawdle;

#[async_trait]
impl Projection for Dawdle {
    fn name(&self) -> &'static str {
        "dawdle"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply(&self, _txn: &DatabaseTransaction, _target: Target, _event: &RecordedEvent) -> anyhow::Result<()> {
        let millis = rand::rng().random_range(0..8);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        Ok(())
    }
}

/// Follows the log like a subscriber does, until `done` and nothing is left.
async fn follow(store: Arc<dyn EventStore>, done: Arc<AtomicBool>) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut last = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let events = store.read_all(last, 100, &EventFilter::default()).await.unwrap();
        if events.is_empty() && finished {
            return seen;
        }
        for event in events {
            assert!(event.position > last, "positions only grow");
            last = event.position;
            seen.push(event.position);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_following_the_log_misses_nothing_under_sixteen_writers() {
    on_each_backend(|backend| async move {
        let projections: Vec<Arc<dyn Projection>> =
            vec![Arc::new(Dawdle), Arc::new(ClientsProjection), Arc::new(AccountsProjection)];
        let store: Arc<dyn EventStore> = Arc::new(SeaOrmEventStore::new(backend.db.clone(), projections));
        let done = Arc::new(AtomicBool::new(false));
        let reader = tokio::spawn(follow(store.clone(), done.clone()));
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    let account = Uuid::now_v7();
                    store
                        .commit(append(
                            StreamType::Account,
                            account,
                            0,
                            vec![opened(account, Uuid::now_v7(), writer as u32)],
                        ))
                        .await
                        .unwrap();
                    for version in 1..EVENTS_PER_WRITER as i32 {
                        let event = deposited(100, 100 * i64::from(version));
                        store.commit(append(StreamType::Account, account, version, vec![event])).await.unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        let seen = reader.await.unwrap();
        let log: Vec<i64> =
            store.read_all(0, u64::MAX, &EventFilter::default()).await.unwrap().iter().map(|e| e.position).collect();
        assert_eq!(log.len(), WRITERS * EVENTS_PER_WRITER, "{}", backend.name);
        assert_eq!(seen, log, "{}: every event exactly once, in order", backend.name);
    })
    .await;
}

/// Without the ordering lock the same reader does miss events on PostgreSQL:
/// the hazard that the store guards against is real on this database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_unguarded_appends_do_make_a_naive_reader_miss_events() {
    on_each_backend(|backend| async move {
        if backend.db.get_database_backend() != DbBackend::Postgres {
            return; // SQLite has a single writer: commits cannot overtake each other.
        }
        let store: Arc<dyn EventStore> = Arc::new(backend.store());
        let done = Arc::new(AtomicBool::new(false));
        let reader = tokio::spawn(follow(store.clone(), done.clone()));
        let writers: Vec<_> = (0..WRITERS).map(|_| tokio::spawn(unguarded_appends(backend.db.clone()))).collect();
        for writer in writers {
            writer.await.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        let seen = reader.await.unwrap();
        let log = store.read_all(0, u64::MAX, &EventFilter::default()).await.unwrap();
        assert_eq!(log.len(), WRITERS * EVENTS_PER_WRITER);
        assert!(seen.len() < log.len(), "a naive reader should have skipped late commits; it saw all {}", seen.len());
    })
    .await;
}

/// Appends the way a store without the lock would: insert, dawdle, commit.
async fn unguarded_appends(db: DatabaseConnection) {
    let stream = Uuid::now_v7();
    for version in 1..=EVENTS_PER_WRITER {
        let txn = db.begin().await.unwrap();
        let sql = format!(
            "INSERT INTO events (id, stream_id, stream_type, version, event_type, schema_version, data, metadata, recorded_at) \
             VALUES ('{}', '{stream}', 'TRANSFER', {version}, 'Probe', 1, '{{}}', '{{\"correlationId\": \"{}\"}}', now())",
            Uuid::now_v7(),
            Uuid::now_v7()
        );
        txn.execute_unprepared(&sql).await.unwrap();
        let millis = rand::rng().random_range(0..8);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        txn.commit().await.unwrap();
    }
}
