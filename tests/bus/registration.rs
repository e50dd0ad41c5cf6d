use minibank::application::commands::{Command, CommandMeta};
use minibank::application::{Actor, AppError};
use minibank::domain::StreamType;
use minibank::domain::value::Role;
use uuid::Uuid;

use crate::helpers::{app, registration};

#[tokio::test]
async fn registering_records_client_registered_with_its_metadata() {
    let app = app();
    let meta = CommandMeta::request(Actor::Anonymous, Some(Uuid::now_v7()));
    let events = app
        .bus
        .dispatch(Command::RegisterClient(registration("Alice", "Alice@Example.com", Role::Customer)), meta.clone())
        .await
        .unwrap();

    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.event_type, "ClientRegistered");
    assert_eq!(event.stream_type, StreamType::Client);
    assert_eq!((event.position, event.version), (1, 1));
    assert_eq!(event.data["username"], "alice");
    assert_eq!(event.data["email"], "Alice@Example.com");
    assert_eq!(event.data["role"], "CUSTOMER");
    let hash = event.data["passwordHash"].as_str().unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(!hash.contains("correct horse"));

    let metadata = &event.metadata;
    assert_eq!(metadata.correlation_id, meta.correlation_id);
    assert_eq!(metadata.command_id, Some(meta.command_id));
    assert_eq!(metadata.causation_id, Some(meta.command_id));
    // The new client acts on its own behalf.
    assert_eq!(metadata.actor_id, Some(event.stream_id));
    assert_eq!(app.all_events().await, events);
}

#[tokio::test]
async fn usernames_are_unique_case_insensitively() {
    let app = app();
    app.register("alice", Role::Customer).await;
    let again = app
        .run(Actor::Anonymous, Command::RegisterClient(registration("ALICE", "other@example.com", Role::Customer)))
        .await;
    assert!(matches!(again, Err(AppError::AlreadyExists("username"))), "{again:?}");
    assert_eq!(app.event_count().await, 1);
}

#[tokio::test]
async fn e_mails_are_unique_case_insensitively() {
    let app = app();
    app.run(Actor::Anonymous, Command::RegisterClient(registration("alice", "alice@example.com", Role::Customer)))
        .await
        .unwrap();
    let again = app
        .run(Actor::Anonymous, Command::RegisterClient(registration("bob", "ALICE@Example.COM", Role::Customer)))
        .await;
    assert!(matches!(again, Err(AppError::AlreadyExists("e-mail"))), "{again:?}");
    assert_eq!(app.event_count().await, 1);
    // The username of the refused registration was not taken.
    app.run(Actor::Anonymous, Command::RegisterClient(registration("bob", "bob@example.com", Role::Customer)))
        .await
        .unwrap();
}

#[tokio::test]
async fn only_the_system_registers_administrators() {
    let app = app();
    let customer = app.register("carol", Role::Customer).await;
    let admin = app.register("root", Role::Admin).await;
    for actor in [Actor::Anonymous, customer, admin] {
        let result =
            app.run(actor, Command::RegisterClient(registration("mallory", "mallory@example.com", Role::Admin))).await;
        assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
    }
    let events = app
        .run(Actor::System, Command::RegisterClient(registration("mallory", "mallory@example.com", Role::Admin)))
        .await
        .unwrap();
    assert_eq!(events[0].data["role"], "ADMIN");
}
