//! Snapshots on real databases, and events of older schema versions read
//! through the upcasters.

use std::sync::Arc;

use minibank::application::Snapshots;
use minibank::application::handlers::{load, replay};
use minibank::application::pagination::PageRequest;
use minibank::application::ports::{AccountReadModel, EventStore, SnapshotStore, StoredSnapshot, StreamBound};
use minibank::domain::account::Account;
use minibank::domain::{Aggregate, StreamType};
use minibank::infrastructure::{SeaOrmAccountReadModel, SeaOrmEventStore, SeaOrmSnapshotStore};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::events::{append, deposited, money, opened, withdrawn};
use crate::support::on_each_backend;

fn snapshot(stream_id: Uuid, version: i32, snapshot_version: i32, state: serde_json::Value) -> StoredSnapshot {
    StoredSnapshot {
        stream_id,
        stream_type: StreamType::Account,
        version,
        snapshot_version,
        state,
        taken_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn the_latest_snapshot_per_stream_is_kept() {
    on_each_backend(|backend| async move {
        let snapshots = SeaOrmSnapshotStore::new(backend.db.clone());
        let stream = Uuid::now_v7();
        assert_eq!(snapshots.load(stream).await.unwrap(), None);
        let first = snapshot(stream, 10, 1, json!({"a": 1}));
        snapshots.save(first.clone()).await.unwrap();
        let loaded = snapshots.load(stream).await.unwrap().unwrap();
        assert_eq!((loaded.version, loaded.snapshot_version, &loaded.state), (10, 1, &first.state), "{}", backend.name);

        snapshots.save(snapshot(stream, 20, 1, json!({"a": 2}))).await.unwrap();
        // A slower writer's older snapshot does not replace a newer one ...
        snapshots.save(snapshot(stream, 15, 1, json!({"a": 3}))).await.unwrap();
        assert_eq!(snapshots.load(stream).await.unwrap().unwrap().version, 20);
        // ... but one of another snapshot version (an outdated one's replacement) does.
        snapshots.save(snapshot(stream, 15, 2, json!({"a": 4}))).await.unwrap();
        let loaded = snapshots.load(stream).await.unwrap().unwrap();
        assert_eq!((loaded.version, loaded.snapshot_version, loaded.state), (15, 2, json!({"a": 4})));
    })
    .await;
}

/// An account with `count` events: opened, then deposits and withdrawals.
async fn long_account(store: &SeaOrmEventStore, count: i32) -> Uuid {
    let (account, owner) = (Uuid::now_v7(), Uuid::now_v7());
    store.commit(append(StreamType::Account, account, 0, vec![opened(account, owner, 11)])).await.unwrap();
    let mut balance = 0;
    for version in 2..=count {
        let event = if version % 4 == 0 {
            balance -= 100;
            withdrawn(100, balance)
        } else {
            balance += 1000 + version as i64;
            deposited(1000 + version as i64, balance)
        };
        store.commit(append(StreamType::Account, account, version - 1, vec![event])).await.unwrap();
    }
    account
}

#[tokio::test]
async fn snapshot_plus_tail_equals_a_full_replay_at_every_version() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let snapshot_store = Arc::new(SeaOrmSnapshotStore::new(backend.db.clone()));
        let snapshots = Snapshots::new(snapshot_store.clone(), 10);
        let account = long_account(&store, 250).await;
        for version in 1..=250 {
            let bound = StreamBound::UpToVersion(version);
            let truth = replay::<Account>(&store, account, bound).await.unwrap();
            if snapshots.due(version - 1, version) {
                snapshots.save(account, version, &truth.state).await;
            }
            let taken = snapshot_store.load(account).await.unwrap().map(|s| s.version);
            assert_eq!(taken, (version >= 10).then_some(version / 10 * 10));
            let loaded = load::<Account>(&store, &snapshots, account, bound).await.unwrap();
            assert_eq!(
                (loaded.state, loaded.version, loaded.last_recorded_at),
                (truth.state, truth.version, truth.last_recorded_at),
                "version {version} on {}",
                backend.name
            );
        }
    })
    .await;
}

#[tokio::test]
async fn corrupt_and_outdated_snapshots_are_ignored() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let snapshot_store = Arc::new(SeaOrmSnapshotStore::new(backend.db.clone()));
        let snapshots = Snapshots::new(snapshot_store.clone(), 10);
        let account = long_account(&store, 25).await;
        let truth = replay::<Account>(&store, account, StreamBound::All).await.unwrap();
        let at_20 = replay::<Account>(&store, account, StreamBound::UpToVersion(20)).await.unwrap();
        let mut doctored = serde_json::to_value(&at_20.state).unwrap();
        // Money events set the balance; nothing changes the number, so a doctored one shows.
        doctored["Opened"]["number"] = json!("MB-DOCTORED");

        // Trusted when valid: the doctored balance shows, which proves it is used.
        snapshot_store.save(snapshot(account, 20, Account::SNAPSHOT_VERSION, doctored.clone())).await.unwrap();
        let used = load::<Account>(&store, &snapshots, account, StreamBound::All).await.unwrap();
        assert_eq!(used.state.opened().unwrap().number.as_str(), "MB-DOCTORED", "{}", backend.name);
        assert_eq!(used.state.opened().unwrap().balance, truth.state.opened().unwrap().balance);

        for (case, bad) in [
            ("outdated", snapshot(account, 20, Account::SNAPSHOT_VERSION + 1, doctored.clone())),
            ("bad JSON", snapshot(account, 20, Account::SNAPSHOT_VERSION + 2, json!({"Opened": {"balance": 1}}))),
        ] {
            snapshot_store.save(bad).await.unwrap();
            let loaded = load::<Account>(&store, &snapshots, account, StreamBound::All).await.unwrap();
            assert_eq!((loaded.state, loaded.version), (truth.state.clone(), 25), "{case} on {}", backend.name);
        }
        // Bad JSON in the column itself, of the current snapshot version.
        corrupt_state(&backend.db, account).await;
        let loaded = load::<Account>(&store, &snapshots, account, StreamBound::All).await.unwrap();
        assert_eq!((loaded.state, loaded.version), (truth.state.clone(), 25));
        // The next save replaces it.
        snapshots.save(account, 25, &truth.state).await;
        let replaced = snapshot_store.load(account).await.unwrap().unwrap();
        assert_eq!((replaced.version, replaced.snapshot_version), (25, Account::SNAPSHOT_VERSION));
    })
    .await;
}

/// A state that is valid JSON but not an account, of the code's snapshot version.
async fn corrupt_state(db: &DatabaseConnection, account: Uuid) {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "UPDATE snapshots SET state = '{\"Opened\": \"truncated\"}'::jsonb, snapshot_version = $1 WHERE stream_id = $2"
        }
        _ => "UPDATE snapshots SET state = '{\"Opened\": \"truncated\"}', snapshot_version = $1 WHERE stream_id = $2",
    };
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [Account::SNAPSHOT_VERSION.into(), account.into()],
    );
    assert_eq!(db.execute_raw(statement).await.unwrap().rows_affected(), 1);
}

#[tokio::test]
async fn v1_money_events_without_description_are_upcast_for_the_aggregate_and_the_projection() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let accounts = SeaOrmAccountReadModel::new(backend.db.clone());
        let (account, owner) = (Uuid::now_v7(), Uuid::now_v7());
        // As an older client wrote them: schema version 1, no description.
        let mut v1_deposit = deposited(10000, 10000);
        v1_deposit.schema_version = 1;
        v1_deposit.data = json!({"amount": "100.00", "balanceAfter": "100.00"});
        let mut v1_withdrawal = withdrawn(2500, 7500);
        v1_withdrawal.schema_version = 1;
        v1_withdrawal.data = json!({"amount": "25.00", "balanceAfter": "75.00"});
        let events = vec![opened(account, owner, 12), v1_deposit, v1_withdrawal, deposited(500, 8000)];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();

        let stored = store.read_stream(account, StreamBound::All).await.unwrap();
        let versions: Vec<_> = stored.iter().map(|e| e.schema_version).collect();
        assert_eq!(versions, [1, 1, 1, 2], "stored as written, on {}", backend.name);
        assert!(stored[1].data.get("description").is_none());

        let loaded = load::<Account>(&store, &Snapshots::disabled(), account, StreamBound::All).await.unwrap();
        assert_eq!(loaded.state.opened().unwrap().balance, money(8000));
        let view = accounts.get(account).await.unwrap().unwrap();
        assert_eq!((view.balance, view.version), (money(8000), 4));
        let page =
            accounts.transactions(account, &PageRequest { after: None, first: 10, count_total: true }).await.unwrap();
        let descriptions: Vec<_> = page.items.iter().map(|(_, t)| t.description.clone()).collect();
        assert_eq!(descriptions, [Some("test".to_owned()), None, None]);
    })
    .await;
}
