use minibank::application::AppError;
use minibank::application::commands::Command;
use minibank::domain::DomainError;
use minibank::domain::value::Role;
use rust_decimal::Decimal;

use crate::helpers::{app, move_money};

#[tokio::test]
async fn deposits_and_withdrawals_move_the_balance() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;

    let deposited = app.run(alice, Command::Deposit(move_money(account, 150, None))).await.unwrap();
    assert_eq!(deposited.len(), 1);
    assert_eq!(deposited[0].event_type, "MoneyDeposited");
    assert_eq!(deposited[0].version, 2);
    assert_eq!(deposited[0].data["amount"], "150.00");
    assert_eq!(deposited[0].data["balanceAfter"], "150.00");
    assert_eq!(deposited[0].data["description"], "test");
    assert_eq!(deposited[0].metadata.actor_id, alice.client_id());

    let withdrawn = app.run(alice, Command::Withdraw(move_money(account, 40, None))).await.unwrap();
    assert_eq!(withdrawn[0].event_type, "MoneyWithdrawn");
    assert_eq!(withdrawn[0].version, 3);
    assert_eq!(withdrawn[0].data["balanceAfter"], "110.00");
    assert_eq!(app.balance(account).await, Decimal::from(110));
}

#[tokio::test]
async fn insufficient_funds_are_refused_and_record_nothing() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    app.deposit(alice, account, 30).await;
    let before = app.event_count().await;

    let result = app.run(alice, Command::Withdraw(move_money(account, 31, None))).await;
    match result {
        Err(AppError::Domain(DomainError::InsufficientFunds { available, requested })) => {
            assert_eq!(available, Decimal::from(30));
            assert_eq!(requested, Decimal::from(31));
        }
        other => panic!("expected insufficient funds, got {other:?}"),
    }
    assert_eq!(app.event_count().await, before);
    assert_eq!(app.balance(account).await, Decimal::from(30));
}

#[tokio::test]
async fn the_expected_version_guards_against_stale_writes() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;

    // Version 1: just opened.
    app.run(alice, Command::Deposit(move_money(account, 10, Some(1)))).await.unwrap();
    let stale = app.run(alice, Command::Deposit(move_money(account, 10, Some(1)))).await;
    assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
    let ahead = app.run(alice, Command::Withdraw(move_money(account, 5, Some(9)))).await;
    assert!(matches!(ahead, Err(AppError::Conflict(_))), "{ahead:?}");
    assert_eq!(app.version(account).await, 2);

    app.run(alice, Command::Withdraw(move_money(account, 5, Some(2)))).await.unwrap();
    assert_eq!(app.balance(account).await, Decimal::from(5));
}
