//! A client's commandId through the bus: a command that changed nothing keeps
//! its record too, so a repeat answers with the state it was decided on and
//! never decides again.

use std::sync::Arc;

use minibank::application::bus::Dispatched;
use minibank::application::commands::{ChangeOverdraftLimit, Command, CommandMeta};
use minibank::application::ports::StreamVersion;
use minibank::application::{Actor, AppError};
use minibank::domain::value::{OverdraftLimit, Role};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::helpers::{TestApp, app};

fn change_limit(account_id: Uuid, limit: i64) -> Command {
    let limit = OverdraftLimit::new(Decimal::from(limit)).unwrap();
    Command::ChangeOverdraftLimit(ChangeOverdraftLimit { account_id, limit, expected_version: None })
}

/// An account with an overdraft limit of 50, and the admin that set it.
async fn account_with_limit_50(app: &TestApp) -> (Actor, Uuid) {
    let admin = app.register("root", Role::Admin).await;
    let alice = app.register("alice", Role::Customer).await;
    let account = app.open(alice).await;
    app.run(admin, change_limit(account, 50)).await.unwrap();
    (admin, account)
}

async fn with_id(app: &TestApp, actor: Actor, command: Command, id: Uuid) -> Dispatched {
    app.bus.run(command, CommandMeta::request(actor, Some(id))).await.unwrap()
}

#[tokio::test]
async fn a_change_that_changed_nothing_answers_its_repeats_with_the_version_it_found() {
    let app = app();
    let (admin, account) = account_with_limit_50(&app).await;
    let found = StreamVersion { stream_id: account, version: app.version(account).await };
    let k = Uuid::now_v7();

    let first = with_id(&app, admin, change_limit(account, 50), k).await;
    assert_eq!(first, Dispatched { events: vec![], unchanged: Some(found), repeat: false });
    let processed = app.store.processed(k).await.unwrap().expect("the command id is recorded");
    assert_eq!((processed.positions, processed.unchanged), (vec![], Some(found)));

    app.run(admin, change_limit(account, 80)).await.unwrap();
    let (events, version) = (app.event_count().await, app.version(account).await);
    let repeat = with_id(&app, admin, change_limit(account, 50), k).await;
    assert_eq!(repeat, Dispatched { repeat: true, ..first });
    assert_eq!(app.event_count().await, events, "a repeat records nothing");
    assert_eq!(app.version(account).await, version);
    assert_eq!(app.account(account).await.overdraft_limit.value(), Decimal::from(80), "not set back");

    let reused = app.bus.run(change_limit(account, 80), CommandMeta::request(admin, Some(k))).await;
    assert!(matches!(reused, Err(AppError::Conflict(_))), "{reused:?}");
    assert_eq!(app.event_count().await, events);
}

#[tokio::test]
async fn concurrent_repeats_of_a_change_that_changed_nothing_give_one_answer() {
    let app = Arc::new(app());
    let (admin, account) = account_with_limit_50(&app).await;
    let events = app.event_count().await;
    let k = Uuid::now_v7();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { with_id(&app, admin, change_limit(account, 50), k).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let found = Some(StreamVersion { stream_id: account, version: app.version(account).await });
    assert!(answers.iter().all(|a| a.events.is_empty() && a.unchanged == found), "{answers:?}");
    assert_eq!(answers.iter().filter(|a| !a.repeat).count(), 1, "one first run: {answers:?}");
    assert_eq!(app.event_count().await, events);
}

#[tokio::test]
async fn a_change_that_changed_nothing_without_an_id_records_nothing() {
    let app = app();
    let (admin, account) = account_with_limit_50(&app).await;
    let meta = CommandMeta::request(admin, None);
    let answer = app.bus.run(change_limit(account, 50), meta.clone()).await.unwrap();
    let found = StreamVersion { stream_id: account, version: app.version(account).await };
    assert_eq!(answer, Dispatched { events: vec![], unchanged: Some(found), repeat: false });
    assert_eq!(app.store.processed(meta.command_id).await.unwrap(), None, "no id of the client's, nothing kept");
}
