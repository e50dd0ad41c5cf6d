//! Gap-free global order: a reader that follows the log with `position > last`
//! sees every event exactly once, in order, while 16 writers commit out of
//! order whenever they can.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use minibank::application::ports::{EventFilter, EventStore, RecordedEvent};
use minibank::domain::StreamType;
use minibank::infrastructure::database::Dialect;
use minibank::infrastructure::projections::Target;
use minibank::infrastructure::{AccountsProjection, ClientsProjection, Projection, SeaOrmEventStore};
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
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

    async fn apply(
        &self,
        _txn: &DatabaseTransaction,
        _target: Target,
        _events: &[RecordedEvent],
    ) -> anyhow::Result<()> {
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

/// Without the ordering section a plain `position > last` reader does miss
/// events on PostgreSQL: the hazard that the store guards against is real on
/// this database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_unguarded_appends_do_make_a_naive_reader_miss_events() {
    on_each_backend(|backend| async move {
        if backend.db.get_database_backend() != DbBackend::Postgres {
            return; // SQLite has a single writer: commits cannot overtake each other.
        }
        let store: Arc<dyn EventStore> = Arc::new(backend.store());
        let done = Arc::new(AtomicBool::new(false));
        let reader = tokio::spawn(follow_naively(backend.db.clone(), done.clone()));
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

/// Follows the log with a bare `position > last`, as a reader would without
/// the store's guard.
async fn follow_naively(db: DatabaseConnection, done: Arc<AtomicBool>) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut last = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let sql = format!("SELECT position FROM events WHERE position > {last} ORDER BY position LIMIT 100");
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        if rows.is_empty() && finished {
            return seen;
        }
        for row in rows {
            last = row.try_get::<i64>("", "position").unwrap();
            seen.push(last);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// An append whose transaction is still open holds back every later append
/// (they take turns until each has committed), so nothing can be read past
/// it; once it commits, both are read, the earlier first. (PostgreSQL; on
/// SQLite the open write transaction keeps the later append from starting.)
#[tokio::test]
async fn on_postgres_a_commit_waits_for_an_earlier_append_still_in_flight() {
    on_each_backend(|backend| async move {
        if backend.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let store = Arc::new(backend.store());
        let before = store.head().await.unwrap();
        // An append in flight, as the store makes one: in turn, inserted
        // (a position is taken) but not committed.
        let in_flight = backend.db.begin().await.unwrap();
        Dialect::Postgres.order_appends(&in_flight).await.unwrap();
        let early = Uuid::now_v7();
        let sql = format!(
            "INSERT INTO events (id, stream_id, stream_type, version, event_type, schema_version, data, metadata, recorded_at) \
             VALUES ('{}', '{early}', 'TRANSFER', 1, 'Probe', 1, '{{}}', '{{\"correlationId\": \"{}\"}}', now())",
            Uuid::now_v7(),
            Uuid::now_v7()
        );
        in_flight.execute_unprepared(&sql).await.unwrap();
        let late = Uuid::now_v7();
        let committing = {
            let store = store.clone();
            tokio::spawn(async move {
                store.commit(append(StreamType::Account, late, 0, vec![opened(late, Uuid::now_v7(), 1)])).await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!committing.is_finished(), "the later append waits for its turn");
        let readable = store.read_all(before, 100, &EventFilter::default()).await.unwrap();
        assert!(readable.is_empty(), "nothing may be read past the open append: {readable:?}");

        in_flight.commit().await.unwrap();
        let late_position = committing.await.unwrap().unwrap()[0].position;
        let readable = store.read_all(before, 100, &EventFilter::default()).await.unwrap();
        let streams: Vec<Uuid> = readable.iter().map(|e| e.stream_id).collect();
        assert_eq!(streams, vec![early, late], "both, the earlier append first");
        assert_eq!(store.head().await.unwrap(), late_position);
    })
    .await;
}

/// A transaction left open in another database of the cluster (another
/// application's) does not hold minibank's readers back.
#[tokio::test]
async fn on_postgres_another_databases_open_transaction_does_not_delay_readers() {
    on_each_backend(|backend| async move {
        if backend.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let admin_url = std::env::var("TEST_DATABASE_URL").expect("PostgreSQL tests run with TEST_DATABASE_URL");
        let elsewhere = sea_orm::Database::connect(admin_url.as_str()).await.unwrap();
        let open = elsewhere.begin().await.unwrap();
        open.execute_unprepared("SELECT pg_current_xact_id()").await.unwrap();

        let store = backend.store();
        let account = Uuid::now_v7();
        let committed = store.commit(append(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), 1)]));
        let position = committed.await.unwrap()[0].position;
        let readable = store.read_all(position - 1, 10, &EventFilter::default()).await.unwrap();
        assert_eq!(readable.iter().map(|e| e.position).collect::<Vec<_>>(), vec![position]);
        assert_eq!(store.head().await.unwrap(), position);
        open.rollback().await.unwrap();
    })
    .await;
}

/// A transaction left open in minibank's own database that writes elsewhere
/// (a person's psql session, a long report) holds neither appends nor
/// readers back: only appends take the order lock.
#[tokio::test]
async fn on_postgres_a_long_foreign_transaction_in_the_same_database_delays_nobody() {
    on_each_backend(|backend| async move {
        if backend.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let foreign = sea_orm::Database::connect(backend.url.as_str()).await.unwrap();
        let open = foreign.begin().await.unwrap();
        open.execute_unprepared("CREATE TABLE report (n int); INSERT INTO report VALUES (1)").await.unwrap();

        let store = backend.store();
        let account = Uuid::now_v7();
        let committed = tokio::time::timeout(
            Duration::from_secs(5),
            store.commit(append(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), 7)])),
        )
        .await
        .expect("an append does not wait for the foreign transaction");
        let position = committed.unwrap()[0].position;
        let readable = store.read_all(position - 1, 10, &EventFilter::default()).await.unwrap();
        assert_eq!(readable.iter().map(|e| e.position).collect::<Vec<_>>(), vec![position]);
        assert_eq!(store.head().await.unwrap(), position);
        open.rollback().await.unwrap();
    })
    .await;
}
