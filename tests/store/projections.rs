//! Inline projections: balances, transactions, versions and checkpoints.

use minibank::application::pagination::PageRequest;
use minibank::application::ports::{AccountReadModel, EventFilter, EventStore, RecordedEvent, TransactionKind};
use minibank::domain::StreamType;
use minibank::domain::account::AccountStatus;
use minibank::infrastructure::entities::projection_checkpoint;
use minibank::infrastructure::projections::Target;
use minibank::infrastructure::{AccountsProjection, Projection, SeaOrmAccountReadModel};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use uuid::Uuid;

use crate::events::{append, closed, deposited, limit_changed, money, opened, withdrawn};
use crate::support::on_each_backend;

const ALL: PageRequest = PageRequest { after: None, first: 100, count_total: true };

async fn checkpoint(db: &DatabaseConnection, name: &str) -> Option<i64> {
    projection_checkpoint::Entity::find_by_id(name.to_owned()).one(db).await.unwrap().map(|row| row.position)
}

#[tokio::test]
async fn deposits_and_withdrawals_move_the_balance_and_are_listed_newest_first() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let accounts = SeaOrmAccountReadModel::new(backend.db.clone());
        let (account, owner) = (Uuid::now_v7(), Uuid::now_v7());
        let open = vec![opened(account, owner, 7), deposited(10000, 10000)];
        store.commit(append(StreamType::Account, account, 0, open)).await.unwrap();
        let last = store.commit(append(StreamType::Account, account, 2, vec![withdrawn(3050, 6950)])).await.unwrap();

        let view = accounts.get(account).await.unwrap().unwrap();
        assert_eq!(view.balance, money(6950), "{}", backend.name);
        assert_eq!(view.balance.to_string(), "69.50");
        assert_eq!(view.version, 3);
        assert_eq!(view.owner_id, owner);
        assert_eq!(view.status, AccountStatus::Open);
        assert_eq!(view.last_position, last[0].position);
        assert_eq!(view.updated_at, last[0].recorded_at);

        let page = accounts.transactions(account, &ALL).await.unwrap();
        assert_eq!(page.total_count, 2);
        let kinds: Vec<_> = page.items.iter().map(|(_, t)| t.kind).collect();
        assert_eq!(kinds, [TransactionKind::Withdrawal, TransactionKind::Deposit]);
        let (cursor, newest) = &page.items[0];
        assert_eq!(*cursor, 3);
        assert_eq!(newest.amount, money(3050));
        assert_eq!(newest.balance_after, money(6950));
        assert_eq!(newest.description.as_deref(), Some("test"));
        assert_eq!(newest.id, last[0].id);

        let older = PageRequest { after: Some(3), first: 1, count_total: true };
        let page = accounts.transactions(account, &older).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].0, 2);
        assert!(!page.has_next_page);

        // Applied in the commit's own transaction: no checkpoint row to keep.
        assert_eq!(checkpoint(&backend.db, AccountsProjection::NAME).await, None);
    })
    .await;
}

#[tokio::test]
async fn applying_the_same_events_again_counts_nothing_twice() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let accounts = SeaOrmAccountReadModel::new(backend.db.clone());
        let account = Uuid::now_v7();
        let events = vec![opened(account, Uuid::now_v7(), 8), deposited(500, 500), deposited(250, 750)];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();
        let before = accounts.get(account).await.unwrap().unwrap();

        let log: Vec<RecordedEvent> = store.read_all(0, 100, &EventFilter::default()).await.unwrap();
        let txn = backend.db.begin().await.unwrap();
        // As one run, then event by event: neither counts anything twice.
        AccountsProjection.apply(&txn, Target::Live, &log).await.unwrap();
        for event in &log {
            AccountsProjection.apply(&txn, Target::Live, std::slice::from_ref(event)).await.unwrap();
        }
        txn.commit().await.unwrap();

        assert_eq!(accounts.get(account).await.unwrap().unwrap(), before);
        let page = accounts.transactions(account, &ALL).await.unwrap();
        assert_eq!(page.total_count, 2, "{}", backend.name);
    })
    .await;
}

#[tokio::test]
async fn limit_changes_and_closing_are_projected() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let accounts = SeaOrmAccountReadModel::new(backend.db.clone());
        let account = Uuid::now_v7();
        let events = vec![opened(account, Uuid::now_v7(), 9), limit_changed(20000), closed()];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();

        let view = accounts.get(account).await.unwrap().unwrap();
        assert_eq!(view.overdraft_limit, money(20000), "{}", backend.name);
        assert_eq!(view.status, AccountStatus::Closed);
        assert_eq!(view.version, 3);
        assert_eq!(view.balance, money(0));
        let page = accounts.transactions(account, &ALL).await.unwrap();
        assert_eq!(page.total_count, 0);
    })
    .await;
}
