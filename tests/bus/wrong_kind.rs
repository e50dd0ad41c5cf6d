//! An id of another aggregate type is, to a command or a load, an id that
//! does not exist: NOT_FOUND, nothing written, never an unreadable stream.

use std::sync::Arc;

use minibank::application::AppError;
use minibank::application::commands::{ChangeOverdraftLimit, Command, RequestTransfer};
use minibank::application::handlers::{load, replay};
use minibank::application::ports::StreamBound;
use minibank::domain::account::Account;
use minibank::domain::client::Client;
use minibank::domain::value::{OverdraftLimit, Role};
use minibank::infrastructure::memory::InMemoryEventStore;
use uuid::Uuid;

use crate::helpers::{MAX_ATTEMPTS, app, app_with_snapshots, close, money, move_money, open_account};

#[tokio::test]
async fn account_commands_given_a_client_id_find_no_account() {
    let app = app();
    let admin = app.register("root", Role::Admin).await;
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    let client_id = alice.client_id().unwrap();
    let before = app.event_count().await;
    let limit = OverdraftLimit::new(rust_decimal::Decimal::TEN).unwrap();
    let commands = [
        Command::Deposit(move_money(client_id, 5, None)),
        Command::Withdraw(move_money(client_id, 5, None)),
        Command::ChangeOverdraftLimit(ChangeOverdraftLimit { account_id: client_id, limit, expected_version: None }),
        close(client_id, None),
        Command::RequestTransfer(RequestTransfer {
            from_account_id: client_id,
            to_account_id: account,
            amount: money(1),
            description: None,
        }),
        Command::RequestTransfer(RequestTransfer {
            from_account_id: account,
            to_account_id: client_id,
            amount: money(1),
            description: None,
        }),
    ];
    for command in commands {
        let name = command.name();
        let refused = app.run(admin, command).await;
        assert!(matches!(refused, Err(AppError::NotFound("account"))), "{name}: {refused:?}");
    }
    let owner = app.run(admin, Command::OpenAccount(open_account(Some(account), 0))).await;
    assert!(matches!(owner, Err(AppError::NotFound("client"))), "an account id as owner: {owner:?}");
    assert_eq!(app.event_count().await, before, "nothing written");
}

#[tokio::test]
async fn loading_another_types_stream_is_loading_an_absent_one() {
    // A snapshot after every event: both streams have one of their own type.
    let app = app_with_snapshots(Arc::new(InMemoryEventStore::new()), vec![], MAX_ATTEMPTS, 1);
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    for _ in 0..4 {
        app.deposit(alice, account, 1).await;
    }
    let client_id = alice.client_id().unwrap();
    for bound in [StreamBound::All, StreamBound::UpToVersion(1), StreamBound::RecordedUpTo(chrono::Utc::now())] {
        let as_account = load::<Account>(app.store.as_ref(), &app.snapshots, client_id, bound).await.unwrap();
        assert_eq!((as_account.state, as_account.version), (Account::default(), 0), "{bound:?}");
        let as_client = load::<Client>(app.store.as_ref(), &app.snapshots, account, bound).await.unwrap();
        assert_eq!((as_client.state, as_client.version), (Client::default(), 0), "{bound:?}");
        let unknown = replay::<Account>(app.store.as_ref(), Uuid::now_v7(), bound).await.unwrap();
        assert_eq!(unknown.version, 0);
    }
    // The real streams still load as themselves.
    assert_eq!(
        load::<Account>(app.store.as_ref(), &app.snapshots, account, StreamBound::All).await.unwrap().version,
        5
    );
}
