use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use minibank::application::AppError;
use minibank::application::commands::Command;
use minibank::application::ports::{Commit, CommitError, EventStore, RecordedEvent};
use minibank::domain::value::Role;
use minibank::infrastructure::memory::InMemoryEventStore;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::helpers::{MAX_ATTEMPTS, TestApp, app_with, move_money};
use crate::intercepted_store::{InterceptedStore, Interception};

/// Lets another writer win the race on the next `races` commits: just
/// before the command's own commit goes through, the same events are
/// committed by "someone else", so the real store answers with a conflict.
#[derive(Default)]
struct Racing {
    races: AtomicU32,
    commits: AtomicU32,
}

impl Racing {
    fn lose_next(&self, races: u32) {
        self.races.store(races, Ordering::SeqCst);
        self.commits.store(0, Ordering::SeqCst);
    }
}

#[async_trait]
impl Interception for Racing {
    async fn commit(&self, store: &InMemoryEventStore, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        let race = self.races.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if race {
            let mut competitor = commit.clone();
            for append in &mut competitor.appends {
                for event in &mut append.events {
                    event.id = Uuid::now_v7();
                }
            }
            competitor.claims.clear();
            store.commit(competitor).await?;
        }
        store.commit(commit).await
    }
}

async fn racing_app(max_attempts: u32) -> (TestApp, Arc<InterceptedStore<Racing>>) {
    let store = Arc::new(InterceptedStore::new(Racing::default()));
    let app = app_with(store.clone(), vec![], max_attempts);
    (app, store)
}

#[tokio::test]
async fn a_lost_race_is_decided_again_on_the_new_state() {
    let (app, store) = racing_app(MAX_ATTEMPTS).await;
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;

    store.lose_next(1);
    let events = app.run(alice, Command::Deposit(move_money(account, 10, None))).await.unwrap();
    assert_eq!(store.commits.load(Ordering::SeqCst), 2);
    // The competitor's deposit is version 2; ours is decided again on top.
    assert_eq!(events[0].version, 3);
    assert_eq!(events[0].data["balanceAfter"], "20.00");
    assert_eq!(app.balance(account).await, Decimal::from(20));
}

#[tokio::test]
async fn a_client_expected_version_turns_a_lost_race_into_a_conflict() {
    let (app, store) = racing_app(MAX_ATTEMPTS).await;
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;

    store.lose_next(1);
    let result = app.run(alice, Command::Deposit(move_money(account, 10, Some(1)))).await;
    assert!(matches!(result, Err(AppError::Conflict(_))), "{result:?}");
    assert_eq!(store.commits.load(Ordering::SeqCst), 1);
    // Only the competitor's deposit is recorded.
    assert_eq!(app.version(account).await, 2);
    assert_eq!(app.balance(account).await, Decimal::from(10));
}

#[tokio::test]
async fn retries_are_bounded() {
    let (app, store) = racing_app(3).await;
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;

    store.lose_next(u32::MAX);
    let result = app.run(alice, Command::Deposit(move_money(account, 10, None))).await;
    assert!(matches!(result, Err(AppError::Conflict(_))), "{result:?}");
    assert_eq!(store.commits.load(Ordering::SeqCst), 3);
    // Three competitors won; our deposit was never recorded.
    assert_eq!(app.balance(account).await, Decimal::from(30));
}
