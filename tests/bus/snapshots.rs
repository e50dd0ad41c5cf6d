//! Snapshots through the bus: taken every N events by the command handler,
//! used when loading, and never trusted when outdated or corrupt.

use std::sync::Arc;

use minibank::application::handlers::{load, replay};
use minibank::application::ports::{SnapshotStore, StoredSnapshot, StreamBound};
use minibank::application::{Actor, Snapshots};
use minibank::domain::account::Account;
use minibank::domain::value::Role;
use minibank::domain::{Aggregate, StreamType};
use minibank::infrastructure::memory::InMemoryEventStore;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{MAX_ATTEMPTS, TestApp, app_with_snapshots, move_money};
use minibank::application::commands::Command;

async fn app_every(every: u32) -> (TestApp, Actor, Uuid) {
    let app = app_with_snapshots(Arc::new(InMemoryEventStore::new()), vec![], MAX_ATTEMPTS, every);
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    (app, alice, account)
}

async fn loaded(app: &TestApp, account: Uuid, bound: StreamBound) -> (Account, i32) {
    let loaded = load::<Account>(app.store.as_ref(), &app.snapshots, account, bound).await.unwrap();
    (loaded.state, loaded.version)
}

async fn replayed(app: &TestApp, account: Uuid, bound: StreamBound) -> (Account, i32) {
    let loaded = replay::<Account>(app.store.as_ref(), account, bound).await.unwrap();
    (loaded.state, loaded.version)
}

#[tokio::test]
async fn snapshot_plus_tail_equals_a_full_replay_at_every_version_of_a_long_stream() {
    let (app, alice, account) = app_every(10).await;
    for i in 2..=250 {
        // Deposits and withdrawals, so the balance goes up and down.
        let command = if i % 3 == 0 {
            Command::Withdraw(move_money(account, 1, None))
        } else {
            Command::Deposit(move_money(account, i, None))
        };
        app.run(alice, command).await.unwrap();
        // The handler snapshotted at the last multiple of 10; loading starts there.
        let snapshot = app.snapshot_store.load(account).await.unwrap();
        assert_eq!(snapshot.map(|s| s.version), (i >= 10).then_some((i / 10 * 10) as i32), "after version {i}");
        assert_eq!(loaded(&app, account, StreamBound::All).await, replayed(&app, account, StreamBound::All).await);
    }
    for v in 1..=250 {
        let bound = StreamBound::UpToVersion(v);
        assert_eq!(loaded(&app, account, bound).await, replayed(&app, account, bound).await, "version {v}");
    }
}

#[tokio::test]
async fn a_valid_snapshot_is_what_loading_starts_from() {
    let (app, alice, account) = app_every(5).await;
    for _ in 0..4 {
        app.deposit(alice, account, 10).await;
    }
    let mut snapshot = app.snapshot_store.load(account).await.unwrap().expect("taken at version 5");
    assert_eq!(snapshot.version, 5);
    // Doctor it: if loading used it, the doctored balance shows.
    snapshot.state["Opened"]["balance"] = json!("1000.00");
    app.snapshot_store.put(snapshot);
    let (state, version) = loaded(&app, account, StreamBound::All).await;
    assert_eq!((state.opened().unwrap().balance, version), (Decimal::from(1000), 5));
    // A bound below the snapshot replays instead.
    let (state, _) = loaded(&app, account, StreamBound::UpToVersion(4)).await;
    assert_eq!(state.opened().unwrap().balance, Decimal::from(30));
}

/// What is wrong with a snapshot.
type Spoil = fn(&mut StoredSnapshot);

#[tokio::test]
async fn an_outdated_or_corrupt_snapshot_is_ignored_and_replaced_by_the_next_one() {
    let (app, alice, account) = app_every(5).await;
    for _ in 0..4 {
        app.deposit(alice, account, 10).await;
    }
    let truth = replayed(&app, account, StreamBound::All).await;
    let mut taken = app.snapshot_store.load(account).await.unwrap().expect("taken at version 5");
    // Doctored, so that using it by mistake would show.
    taken.state["Opened"]["balance"] = json!("1000.00");
    let cases: [(&str, Spoil); 5] = [
        ("outdated", |s| s.snapshot_version = Account::SNAPSHOT_VERSION + 1),
        ("bad JSON", |s| s.state = json!({"Opened": {"balance": "lots"}})),
        ("not the state", |s| s.state = json!("garbage")),
        ("another stream type", |s| s.stream_type = StreamType::Client),
        // Ahead of the stream (say, a restored database).
        ("ahead", |s| s.version = 99),
    ];
    for (case, change) in cases {
        let mut snapshot = taken.clone();
        change(&mut snapshot);
        app.snapshot_store.put(snapshot);
        assert_eq!(loaded(&app, account, StreamBound::All).await, truth, "{case}");
    }

    // An outdated one is replaced at the next multiple of N.
    let mut outdated = taken.clone();
    outdated.snapshot_version = 0;
    app.snapshot_store.put(outdated);
    for _ in 0..5 {
        app.deposit(alice, account, 10).await;
    }
    let snapshot = app.snapshot_store.load(account).await.unwrap().unwrap();
    assert_eq!((snapshot.version, snapshot.snapshot_version), (10, Account::SNAPSHOT_VERSION));
    assert_eq!(loaded(&app, account, StreamBound::All).await, replayed(&app, account, StreamBound::All).await);
}

#[tokio::test]
async fn snapshots_are_taken_every_n_events_and_never_with_n_zero() {
    // N = 1 snapshots after every command.
    let (app, alice, account) = app_every(1).await;
    app.deposit(alice, account, 10).await;
    assert_eq!(app.snapshot_store.load(account).await.unwrap().unwrap().version, 2);
    // And N = 0 disables snapshots: nothing is taken.
    let (app, alice, account) = app_every(0).await;
    app.deposit(alice, account, 10).await;
    assert!(app.snapshot_store.load(account).await.unwrap().is_none());
    assert!(!Snapshots::disabled().due(0, 1_000));
}
