use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use minibank::application::commands::Command;
use minibank::application::ports::RecordedEvent;
use minibank::application::{AppError, EventHandler};
use minibank::domain::DomainError;
use minibank::domain::value::Role;
use minibank::infrastructure::memory::InMemoryEventStore;

use crate::helpers::{MAX_ATTEMPTS, app_with, move_money};

#[derive(Default)]
struct Recorder {
    batches: Mutex<Vec<Vec<RecordedEvent>>>,
}

#[async_trait]
impl EventHandler for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    async fn handle(&self, events: &[RecordedEvent]) -> anyhow::Result<()> {
        self.batches.lock().unwrap().push(events.to_vec());
        Ok(())
    }
}

struct Failing;

#[async_trait]
impl EventHandler for Failing {
    fn name(&self) -> &'static str {
        "failing"
    }

    async fn handle(&self, _events: &[RecordedEvent]) -> anyhow::Result<()> {
        anyhow::bail!("this handler always fails")
    }
}

#[tokio::test]
async fn handlers_receive_exactly_the_committed_events_in_order() {
    let recorder = Arc::new(Recorder::default());
    let after_failure = Arc::new(Recorder::default());
    let app = app_with(
        Arc::new(InMemoryEventStore::new()),
        vec![recorder.clone(), Arc::new(Failing), after_failure.clone()],
        MAX_ATTEMPTS,
    );

    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    let mut returned = Vec::new();
    for command in [Command::Deposit(move_money(account, 50, None)), Command::Withdraw(move_money(account, 20, None))] {
        // The failing handler does not fail the command.
        returned.push(app.run(alice, command).await.unwrap());
    }
    // A refused command commits nothing and publishes nothing.
    let refused = app.run(alice, Command::Withdraw(move_money(account, 1000, None))).await;
    assert!(matches!(refused, Err(AppError::Domain(DomainError::InsufficientFunds { .. }))));

    let batches = recorder.batches.lock().unwrap().clone();
    assert_eq!(batches.len(), 4);
    assert_eq!(&batches[2..], &returned[..]);
    let published: Vec<RecordedEvent> = batches.into_iter().flatten().collect();
    assert_eq!(published, app.all_events().await);
    let types: Vec<&str> = published.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["ClientRegistered", "AccountOpened", "MoneyDeposited", "MoneyWithdrawn"]);
    // Handlers after the failing one still run.
    assert_eq!(*after_failure.batches.lock().unwrap(), *recorder.batches.lock().unwrap());
}
