//! Group commit: commits that wait together are written in one transaction,
//! and each keeps its own all-or-nothing outcome.
//!
//! A batch is told by its events' `recorded_at`: the store stamps every event
//! of one transaction with the same instant. To make commits wait together,
//! a projection holds the first transaction open for a moment; everything
//! sent meanwhile queues for the next one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::join_all;
use minibank::application::ports::{Commit, CommitError, EventFilter, EventStore, IdempotencyKey, RecordedEvent};
use minibank::domain::StreamType;
use minibank::infrastructure::projections::Target;
use minibank::infrastructure::{AccountsProjection, ClientsProjection, Projection, SeaOrmEventStore};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::events::{append, deposited, opened, register};
use crate::support::{Backend, on_each_backend};

/// Holds the first transaction it sees open for a moment; refuses any run
/// that holds an event of the poisoned stream.
struct Gate {
    first: AtomicBool,
    poisoned: Uuid,
}

#[async_trait]
impl Projection for Gate {
    fn name(&self) -> &'static str {
        "gate"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply(&self, _txn: &DatabaseTransaction, _target: Target, events: &[RecordedEvent]) -> anyhow::Result<()> {
        if self.first.swap(false, Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        anyhow::ensure!(events.iter().all(|e| e.stream_id != self.poisoned), "the poisoned stream cannot be projected");
        Ok(())
    }
}

fn gated_store(backend: &Backend, poisoned: Uuid) -> Arc<SeaOrmEventStore> {
    let gate = Arc::new(Gate { first: AtomicBool::new(true), poisoned });
    let projections: Vec<Arc<dyn Projection>> = vec![gate, Arc::new(ClientsProjection), Arc::new(AccountsProjection)];
    Arc::new(SeaOrmEventStore::new(backend.db.clone(), projections))
}

/// Sends one commit that holds the writer, waits until it is in flight, then
/// sends `commits` at once; returns the outcomes of `commits`.
async fn behind_a_held_batch(
    store: &Arc<SeaOrmEventStore>,
    commits: Vec<Commit>,
) -> Vec<Result<Vec<RecordedEvent>, CommitError>> {
    let holder = Uuid::now_v7();
    let held = {
        let store = store.clone();
        tokio::spawn(async move { store.commit(opening(holder)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let outcomes = join_all(commits.into_iter().map(|commit| {
        let store = store.clone();
        async move { store.commit(commit).await }
    }))
    .await;
    held.await.unwrap().unwrap();
    outcomes
}

/// Opens `account` with a number no other account of the test has.
fn opening(account: Uuid) -> Commit {
    static NUMBERS: AtomicU32 = AtomicU32::new(1_000);
    let number = NUMBERS.fetch_add(1, Ordering::SeqCst);
    append(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), number)])
}

fn keyed(mut commit: Commit, command_id: Uuid) -> Commit {
    commit.idempotency = Some(IdempotencyKey { command_id, fingerprint: "{\"v\":1}".to_owned() });
    commit
}

async fn log(store: &SeaOrmEventStore) -> Vec<RecordedEvent> {
    store.read_all(0, u64::MAX, &EventFilter::default()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commits_that_wait_together_are_written_in_one_transaction() {
    on_each_backend(|backend| async move {
        let store = gated_store(&backend, Uuid::nil());
        let accounts: Vec<Uuid> = (0..20).map(|_| Uuid::now_v7()).collect();
        let outcomes = behind_a_held_batch(&store, accounts.iter().map(|&a| opening(a)).collect()).await;
        let written: Vec<RecordedEvent> = outcomes.into_iter().flat_map(|o| o.unwrap()).collect();
        assert_eq!(written.len(), 20, "{}", backend.name);
        let instants: std::collections::HashSet<_> = written.iter().map(|e| e.recorded_at).collect();
        assert_eq!(instants.len(), 1, "{}: the twenty commits that waited share one transaction", backend.name);
        let mut positions: Vec<i64> = written.iter().map(|e| e.position).collect();
        positions.sort();
        assert!(
            positions.windows(2).all(|w| w[1] == w[0] + 1),
            "{}: one run of positions: {positions:?}",
            backend.name
        );
        let mut logged: Vec<i64> = log(&store).await.iter().skip(1).map(|e| e.position).collect();
        logged.sort();
        assert_eq!(logged, positions, "{}: what was answered is what is in the log", backend.name);
    })
    .await;
}

/// A stale version, a taken unique value and a used idempotency key each
/// refuse their own commit only; the rest of the batch is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_that_fails_its_checks_fails_alone_and_writes_nothing() {
    on_each_backend(|backend| async move {
        let store = gated_store(&backend, Uuid::nil());
        let existing = Uuid::now_v7();
        store.commit(opening(existing)).await.unwrap();
        store.commit(register(Uuid::now_v7(), "taken", "taken@example.com", "Taken")).await.unwrap();
        let used = Uuid::now_v7();
        let first_use = Uuid::now_v7();
        store.commit(keyed(opening(first_use), used)).await.unwrap();
        let before = log(&store).await.len();

        let innocent: Vec<Uuid> = (0..8).map(|_| Uuid::now_v7()).collect();
        let mut commits: Vec<Commit> = innocent.iter().map(|&a| opening(a)).collect();
        commits.push(opening(existing));
        commits.push(register(Uuid::now_v7(), "taken", "other@example.com", "Other"));
        commits.push(keyed(opening(Uuid::now_v7()), used));
        let outcomes = behind_a_held_batch(&store, commits).await;

        let (written, refused) = outcomes.split_at(8);
        let written: Vec<&RecordedEvent> = written.iter().flat_map(|o| o.as_ref().unwrap()).collect();
        assert_eq!(written.len(), 8, "{}", backend.name);
        assert!(matches!(refused[0], Err(CommitError::Conflict { .. })), "{}: {:?}", backend.name, refused[0]);
        assert!(
            matches!(refused[1], Err(CommitError::AlreadyClaimed { scope: "username" })),
            "{}: {:?}",
            backend.name,
            refused[1]
        );
        assert!(matches!(refused[2], Err(CommitError::AlreadyProcessed)), "{}: {:?}", backend.name, refused[2]);
        let after = log(&store).await;
        assert_eq!(after.len(), before + 1 + 8, "{}: the holder and the eight innocent commits", backend.name);
        let streams: Vec<Uuid> = after.iter().map(|e| e.stream_id).collect();
        assert!(innocent.iter().all(|a| streams.contains(a)), "{}", backend.name);
    })
    .await;
}

/// Two commits of one batch on the same stream, or claiming the same value:
/// the first is written, the second is decided after it (and here loses).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commits_that_collide_inside_a_batch_are_decided_one_after_the_other() {
    on_each_backend(|backend| async move {
        let store = gated_store(&backend, Uuid::nil());
        let account = Uuid::now_v7();
        store.commit(opening(account)).await.unwrap();
        let commits = vec![
            append(StreamType::Account, account, 1, vec![deposited(100, 100)]),
            append(StreamType::Account, account, 1, vec![deposited(200, 200)]),
            register(Uuid::now_v7(), "twin", "twin1@example.com", "One"),
            register(Uuid::now_v7(), "twin", "twin2@example.com", "Two"),
        ];
        let outcomes = behind_a_held_batch(&store, commits).await;
        assert_eq!(outcomes[0].as_ref().unwrap()[0].version, 2, "{}", backend.name);
        assert!(matches!(outcomes[1], Err(CommitError::Conflict { .. })), "{}: {:?}", backend.name, outcomes[1]);
        assert!(outcomes[2].is_ok(), "{}: {:?}", backend.name, outcomes[2]);
        assert!(matches!(outcomes[3], Err(CommitError::AlreadyClaimed { .. })), "{}: {:?}", backend.name, outcomes[3]);
        let versions: Vec<i32> =
            log(&store).await.iter().filter(|e| e.stream_id == account).map(|e| e.version).collect();
        assert_eq!(versions, [1, 2], "{}", backend.name);
    })
    .await;
}

/// A batch whose transaction fails on one commit's account (here its
/// projection refuses it) is written again commit by commit: the one at
/// fault fails, every other is written, and the log has no trace of the
/// failed transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_aborted_batch_is_retried_commit_by_commit_and_fails_only_the_culprit() {
    on_each_backend(|backend| async move {
        let poisoned = Uuid::now_v7();
        let store = gated_store(&backend, poisoned);
        let innocent: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
        let mut commits: Vec<Commit> = innocent.iter().map(|&a| opening(a)).collect();
        commits.insert(3, opening(poisoned));
        let outcomes = behind_a_held_batch(&store, commits).await;
        assert!(matches!(outcomes[3], Err(CommitError::Store(_))), "{}: {:?}", backend.name, outcomes[3]);
        let written: Vec<Uuid> = outcomes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, o)| o.as_ref().expect("an innocent commit is written")[0].stream_id)
            .collect();
        assert_eq!(written, innocent, "{}", backend.name);
        let streams: Vec<Uuid> = log(&store).await.iter().map(|e| e.stream_id).collect();
        assert!(!streams.contains(&poisoned), "{}: nothing of the culprit", backend.name);
        assert_eq!(streams.len(), 1 + 6, "{}: the holder and the innocent, each once", backend.name);
    })
    .await;
}
