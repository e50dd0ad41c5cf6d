use minibank::application::commands::Command;
use minibank::application::{Actor, AppError};
use minibank::domain::DomainError;
use minibank::domain::account::AccountStatus;
use minibank::domain::value::{AccountNumber, Role};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::helpers::{app, close, open_account};

#[tokio::test]
async fn a_customer_opens_an_account_for_themself() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let events = app.run(alice, Command::OpenAccount(open_account(None, 0))).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "AccountOpened");
    assert_eq!(events[0].version, 1);
    assert_eq!(events[0].metadata.actor_id, alice.client_id());

    let account = app.account(events[0].stream_id).await;
    assert_eq!(Some(account.owner_id), alice.client_id());
    assert_eq!(account.balance, Decimal::ZERO);
    assert_eq!(account.status, AccountStatus::Open);
    assert_eq!(account.currency.as_str(), "EUR");
    assert!(AccountNumber::parse(account.number.as_str()).is_ok());

    // Naming oneself as the owner is the same.
    let own = app.run(alice, Command::OpenAccount(open_account(alice.client_id(), 0))).await.unwrap();
    assert_ne!(own[0].stream_id, events[0].stream_id);
}

#[tokio::test]
async fn a_customer_may_not_open_for_another_or_grant_an_overdraft() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let bob = app.register("bob", Role::Customer).await;

    let for_bob = app.run(alice, Command::OpenAccount(open_account(bob.client_id(), 0))).await;
    assert!(matches!(for_bob, Err(AppError::Forbidden(_))), "{for_bob:?}");

    let overdraft = app.run(alice, Command::OpenAccount(open_account(None, 100))).await;
    assert!(matches!(overdraft, Err(AppError::Forbidden(_))), "{overdraft:?}");
    assert_eq!(app.event_count().await, 2);
}

#[tokio::test]
async fn an_admin_opens_for_anyone_with_an_overdraft() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let admin = app.register("root", Role::Admin).await;
    let events = app.run(admin, Command::OpenAccount(open_account(alice.client_id(), 100))).await.unwrap();
    let account = app.account(events[0].stream_id).await;
    assert_eq!(Some(account.owner_id), alice.client_id());
    assert_eq!(account.overdraft_limit.value(), Decimal::from(100));
    assert_eq!(events[0].metadata.actor_id, admin.client_id());
}

#[tokio::test]
async fn the_system_must_name_the_owner() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let without = app.run(Actor::System, Command::OpenAccount(open_account(None, 0))).await;
    assert!(matches!(without, Err(AppError::BadInput(_))), "{without:?}");
    app.run(Actor::System, Command::OpenAccount(open_account(alice.client_id(), 0))).await.unwrap();
}

#[tokio::test]
async fn anonymous_visitors_cannot_open_accounts() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    for owner in [None, alice.client_id()] {
        let result = app.run(Actor::Anonymous, Command::OpenAccount(open_account(owner, 0))).await;
        assert!(matches!(result, Err(AppError::Unauthenticated)), "{result:?}");
    }
}

#[tokio::test]
async fn an_unknown_owner_is_not_found() {
    let app = app();
    let admin = app.register("root", Role::Admin).await;
    for actor in [admin, Actor::System] {
        let result = app.run(actor, Command::OpenAccount(open_account(Some(Uuid::now_v7()), 0))).await;
        assert!(matches!(result, Err(AppError::NotFound("client"))), "{result:?}");
    }
    // A signed-in client whose registration is unknown to this store.
    let ghost = Actor::Client { id: Uuid::now_v7(), role: Role::Customer };
    let result = app.run(ghost, Command::OpenAccount(open_account(None, 0))).await;
    assert!(matches!(result, Err(AppError::NotFound("client"))), "{result:?}");
}

#[tokio::test]
async fn an_empty_account_closes_and_then_refuses_everything() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    let events = app.run(alice, close(account, Some(1))).await.unwrap();
    assert_eq!(events[0].event_type, "AccountClosed");
    assert_eq!(app.account(account).await.status, AccountStatus::Closed);

    for command in [
        Command::Deposit(crate::helpers::move_money(account, 10, None)),
        Command::Withdraw(crate::helpers::move_money(account, 10, None)),
        close(account, None),
    ] {
        let result = app.run(alice, command).await;
        assert!(matches!(result, Err(AppError::Domain(DomainError::AccountClosed))), "{result:?}");
    }
    assert_eq!(app.version(account).await, 2);
}

#[tokio::test]
async fn an_account_with_money_cannot_close() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    app.deposit(alice, account, 25).await;
    let result = app.run(alice, close(account, None)).await;
    assert!(
        matches!(
            result,
            Err(AppError::Domain(DomainError::AccountNotEmpty { balance }))
                if balance == Decimal::from(25)
        ),
        "{result:?}"
    );
    assert_eq!(app.account(account).await.status, AccountStatus::Open);
}

#[tokio::test]
async fn another_customers_account_does_not_exist_for_them() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let bob = app.register("bob", Role::Customer).await;
    let account = app.open(alice).await;
    app.deposit(alice, account, 100).await;
    let before = app.event_count().await;

    let version = app.version(account).await;
    for expected_version in [None, Some(version), Some(version + 7)] {
        for command in [
            Command::Deposit(crate::helpers::move_money(account, 10, expected_version)),
            Command::Withdraw(crate::helpers::move_money(account, 10, expected_version)),
            close(account, expected_version),
        ] {
            let result = app.run(bob, command).await;
            assert!(matches!(result, Err(AppError::NotFound("account"))), "{expected_version:?}: {result:?}");
        }
    }
    let result = app.run(Actor::Anonymous, Command::Deposit(crate::helpers::move_money(account, 10, None))).await;
    assert!(matches!(result, Err(AppError::Unauthenticated)), "{result:?}");
    assert_eq!(app.event_count().await, before);

    // An admin may act on it.
    let admin = app.register("root", Role::Admin).await;
    app.deposit(admin, account, 1).await;
    assert_eq!(app.balance(account).await, Decimal::from(101));
}
