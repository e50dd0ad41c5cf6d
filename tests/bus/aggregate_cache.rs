//! The in-memory aggregate cache: it saves reading, and never lets a command
//! decide on a state that misses events another instance appended.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minibank::application::AppError;
use minibank::application::commands::Command;
use minibank::application::handlers::{load, replay};
use minibank::application::ports::{EventStore, RecordedEvent, StreamBound};
use minibank::domain::account::Account;
use minibank::domain::value::Role;
use minibank::infrastructure::memory::InMemoryEventStore;
use rust_decimal::Decimal;

use crate::helpers::{app_caching, move_money};
use crate::intercepted_store::{InterceptedStore, Interception};

/// Counts the events that loading an aggregate reads from the store.
#[derive(Default)]
struct Counting {
    stream_events_read: AtomicUsize,
}

impl Counting {
    fn take_count(&self) -> usize {
        self.stream_events_read.swap(0, Ordering::SeqCst)
    }
}

impl Interception for Counting {
    fn stream_read(&self, events: &[RecordedEvent]) {
        self.stream_events_read.fetch_add(events.len(), Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_cached_account_is_loaded_by_reading_only_the_events_after_it() {
    let store = Arc::new(InterceptedStore::new(Counting::default()));
    let app = app_caching(store.clone(), 100);
    let other_instance = app_caching(store.clone(), 100);
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    for amount in 1..=20 {
        app.deposit(alice, account, amount).await;
    }
    store.take_count();

    let cached = load::<Account>(store.as_ref(), &app.snapshots, account, StreamBound::All).await.unwrap();
    assert_eq!(store.take_count(), 0, "the state after the last commit came from memory");
    assert_eq!(cached.version, 21);

    other_instance.deposit(alice, account, 1000).await;
    store.take_count();
    let caught_up = load::<Account>(store.as_ref(), &app.snapshots, account, StreamBound::All).await.unwrap();
    assert_eq!(store.take_count(), 1, "only the other instance's deposit was read");
    let replayed = replay::<Account>(store.as_ref(), account, StreamBound::All).await.unwrap();
    assert_eq!((caught_up.state, caught_up.version), (replayed.state, replayed.version));
}

#[tokio::test]
async fn a_command_decides_on_what_another_instance_appended_after_the_cache_was_filled() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    let this_instance = app_caching(store.clone(), 100);
    let other_instance = app_caching(store.clone(), 100);
    let alice = this_instance.register("alice", Role::Customer).await;
    let account = this_instance.open(alice).await;
    this_instance.deposit(alice, account, 100).await;
    this_instance.run(alice, Command::Withdraw(move_money(account, 60, None))).await.unwrap();
    // This instance now holds the account at 40.00; the other takes 30.00.
    other_instance.run(alice, Command::Withdraw(move_money(account, 30, None))).await.unwrap();

    let refused = this_instance.run(alice, Command::Withdraw(move_money(account, 20, None))).await;
    assert!(matches!(refused, Err(AppError::Domain(_))), "10.00 left, 20.00 refused: {refused:?}");
    // The client's own expected version is checked against the store, not the cache.
    let at_version_4 = this_instance.run(alice, Command::Deposit(move_money(account, 5, Some(4)))).await;
    assert!(at_version_4.is_ok(), "version 4 is the account's real version: {at_version_4:?}");
    assert_eq!(this_instance.balance(account).await, Decimal::from(15));
}
