use minibank::application::AppError;
use minibank::application::commands::Command;
use minibank::application::ports::StreamBound;
use minibank::domain::DomainError;
use minibank::domain::value::Role;
use rust_decimal::Decimal;

use std::sync::Arc;

use minibank::application::commands::CommandMeta;
use minibank::application::ports::EventStore;
use minibank::infrastructure::memory::InMemoryEventStore;

use crate::helpers::{TestApp, app, app_with, move_money};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_withdrawals_never_overdraw_the_account() {
    let app = app();
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    app.deposit(alice, account, 200).await;

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let bus = app.bus.clone();
            tokio::spawn(async move {
                let meta = minibank::application::commands::CommandMeta::request(alice, None);
                bus.dispatch(Command::Withdraw(move_money(account, 10, None)), meta).await
            })
        })
        .collect();
    let mut succeeded = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(events) => {
                assert_eq!(events.len(), 1);
                succeeded += 1;
            }
            Err(AppError::Domain(DomainError::InsufficientFunds { .. })) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((succeeded, refused), (20, 30));
    assert_eq!(app.balance(account).await, Decimal::ZERO);

    let stream = app.store.read_stream(account, StreamBound::All).await.unwrap();
    assert_eq!(stream.len(), 22);
    for (i, event) in stream.iter().enumerate() {
        assert_eq!(event.version, i as i32 + 1);
    }
    let mut previous = Decimal::from(200);
    for event in stream.iter().filter(|e| e.event_type == "MoneyWithdrawn") {
        let after: Decimal = event.data["balanceAfter"].as_str().unwrap().parse().unwrap();
        assert!(after >= Decimal::ZERO);
        assert_eq!(after, previous - Decimal::from(10));
        previous = after;
    }
}

/// Two server processes on one store: each serializes its own commands, so
/// only optimistic concurrency in the store keeps them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_buses_on_one_store_never_overdraw_the_account() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    let patient = 100;
    let first = app_with(store.clone(), vec![], patient);
    let second = app_with(store.clone(), vec![], patient);
    let alice = first.register("alice", Role::Customer).await;
    let account = first.open(alice).await;
    first.deposit(alice, account, 200).await;

    let buses = [first.bus.clone(), second.bus.clone()];
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let bus = buses[i % 2].clone();
            tokio::spawn(async move {
                let meta = CommandMeta::request(alice, None);
                bus.dispatch(Command::Withdraw(move_money(account, 10, None)), meta).await
            })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => succeeded += 1,
            Err(AppError::Domain(DomainError::InsufficientFunds { .. })) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(succeeded, 20);
    assert_never_negative(&first, account, 22).await;
}

async fn assert_never_negative(app: &TestApp, account: uuid::Uuid, events: usize) {
    assert_eq!(app.balance(account).await, Decimal::ZERO);
    let stream = app.store.read_stream(account, StreamBound::All).await.unwrap();
    assert_eq!(stream.len(), events);
    for event in &stream {
        if let Some(after) = event.data["balanceAfter"].as_str() {
            assert!(after.parse::<Decimal>().unwrap() >= Decimal::ZERO);
        }
    }
}
