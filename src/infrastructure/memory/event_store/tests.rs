use chrono::Duration;
use serde_json::json;

use super::*;
use crate::application::ports::{EventMetadata, NewEvent, StreamAppend, UniqueClaim};
use crate::domain::StreamType;

fn event(event_type: &str) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: event_type.to_string(),
        schema_version: 1,
        data: json!({ "n": event_type }),
        metadata: EventMetadata {
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            command_id: None,
            actor_id: None,
        },
    }
}

fn append(stream_id: Uuid, expected_version: i32, types: &[&str]) -> StreamAppend {
    StreamAppend {
        stream_id,
        stream_type: StreamType::Account,
        expected_version,
        events: types.iter().map(|t| event(t)).collect(),
    }
}

fn commit_of(appends: Vec<StreamAppend>) -> Commit {
    Commit { appends, ..Commit::default() }
}

fn claim(scope: &'static str, value: &str) -> UniqueClaim {
    UniqueClaim { scope, value: value.to_string(), owner_id: Uuid::now_v7() }
}

fn positions(events: &[RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.position).collect()
}

fn versions(events: &[RecordedEvent]) -> Vec<i32> {
    events.iter().map(|e| e.version).collect()
}

#[tokio::test]
async fn positions_start_at_one_and_versions_count_per_stream() {
    let store = InMemoryEventStore::new();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let first = store.commit(commit_of(vec![append(a, 0, &["A1", "A2"])])).await.unwrap();
    let second = store.commit(commit_of(vec![append(b, 0, &["B1"]), append(a, 2, &["A3"])])).await.unwrap();
    assert_eq!(positions(&first), [1, 2]);
    assert_eq!(versions(&first), [1, 2]);
    assert_eq!(positions(&second), [3, 4]);
    assert_eq!(versions(&second), [1, 3]);
    assert_eq!(second[0].stream_id, b);
    assert_eq!(second[0].stream_type, StreamType::Account);
    assert_eq!(second[0].data, json!({ "n": "B1" }));
    assert_eq!(second[0].recorded_at, second[1].recorded_at);
    let a_stream = store.read_stream(a, StreamBound::All).await.unwrap();
    assert_eq!(versions(&a_stream), [1, 2, 3]);
    assert_eq!(positions(&a_stream), [1, 2, 4]);
}

#[tokio::test]
async fn a_stale_version_writes_nothing_at_all() {
    let store = InMemoryEventStore::new();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    store.commit(commit_of(vec![append(a, 0, &["A1"])])).await.unwrap();
    let stale = Commit {
        appends: vec![append(b, 0, &["B1"]), append(a, 0, &["A2"])],
        claims: vec![claim("username", "alice")],
        idempotency: None,
    };
    let error = store.commit(stale).await.unwrap_err();
    assert!(matches!(
        error,
        CommitError::Conflict { stream_id, expected_version: 0 } if stream_id == a
    ));
    assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 1);
    // The claim of the failed commit was not taken either.
    store
        .commit(Commit {
            appends: vec![append(b, 0, &["B1"])],
            claims: vec![claim("username", "alice")],
            idempotency: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_version_ahead_of_the_stream_is_a_conflict_too() {
    let store = InMemoryEventStore::new();
    let a = Uuid::now_v7();
    let error = store.commit(commit_of(vec![append(a, 1, &["A1"])])).await.unwrap_err();
    assert!(matches!(error, CommitError::Conflict { .. }));
}

#[tokio::test]
async fn two_appends_to_one_stream_chain_their_versions() {
    let store = InMemoryEventStore::new();
    let a = Uuid::now_v7();
    let clashing = commit_of(vec![append(a, 0, &["A1"]), append(a, 0, &["A2"])]);
    assert!(matches!(store.commit(clashing).await, Err(CommitError::Conflict { .. })));
    let chained = commit_of(vec![append(a, 0, &["A1"]), append(a, 1, &["A2"])]);
    assert_eq!(versions(&store.commit(chained).await.unwrap()), [1, 2]);
}

#[tokio::test]
async fn a_taken_claim_fails_the_whole_commit() {
    let store = InMemoryEventStore::new();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .commit(Commit {
            appends: vec![append(a, 0, &["A1"])],
            claims: vec![claim("email", "alice@example.com")],
            idempotency: None,
        })
        .await
        .unwrap();
    let error = store
        .commit(Commit {
            appends: vec![append(b, 0, &["B1"])],
            claims: vec![claim("username", "bob"), claim("email", "alice@example.com")],
            idempotency: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(error, CommitError::AlreadyClaimed { scope: "email" }));
    assert!(store.read_stream(b, StreamBound::All).await.unwrap().is_empty());
    // "bob" was not taken by the failed commit; the same value in another
    // scope is a different claim.
    store
        .commit(Commit {
            appends: vec![append(b, 0, &["B1"])],
            claims: vec![claim("username", "bob"), claim("username", "alice@example.com")],
            idempotency: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn one_commit_cannot_claim_a_value_twice() {
    let store = InMemoryEventStore::new();
    let error = store
        .commit(Commit {
            appends: vec![],
            claims: vec![claim("username", "carol"), claim("username", "carol")],
            idempotency: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(error, CommitError::AlreadyClaimed { scope: "username" }));
}

#[tokio::test]
async fn an_empty_commit_records_nothing() {
    let store = InMemoryEventStore::new();
    assert!(store.commit(Commit::default()).await.unwrap().is_empty());
    assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 0);
}

#[tokio::test]
async fn streams_replay_up_to_a_version_or_an_instant() {
    let store = InMemoryEventStore::new();
    let a = Uuid::now_v7();
    let first = store.commit(commit_of(vec![append(a, 0, &["A1", "A2"])])).await.unwrap();
    let instant = first[0].recorded_at;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.commit(commit_of(vec![append(a, 2, &["A3"])])).await.unwrap();
    let read = |bound| store.read_stream(a, bound);
    assert_eq!(versions(&read(StreamBound::All).await.unwrap()), [1, 2, 3]);
    assert_eq!(versions(&read(StreamBound::UpToVersion(2)).await.unwrap()), [1, 2]);
    assert!(read(StreamBound::UpToVersion(0)).await.unwrap().is_empty());
    assert_eq!(versions(&read(StreamBound::RecordedUpTo(instant)).await.unwrap()), [1, 2]);
    assert!(read(StreamBound::RecordedUpTo(instant - Duration::seconds(1))).await.unwrap().is_empty());
    assert!(store.read_stream(Uuid::now_v7(), StreamBound::All).await.unwrap().is_empty());
}

#[tokio::test]
async fn stream_pages_start_after_a_version_and_stop_at_the_limit() {
    let store = InMemoryEventStore::new();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .commit(commit_of(vec![append(a, 0, &["A1", "A2"]), append(b, 0, &["B1"]), append(a, 2, &["A3", "A4"])]))
        .await
        .unwrap();
    let page = store.read_stream_page(a, 1, 2).await.unwrap();
    assert_eq!(versions(&page), [2, 3]);
    assert!(page.iter().all(|e| e.stream_id == a));
    assert_eq!(versions(&store.read_stream_page(a, 3, 10).await.unwrap()), [4]);
    assert!(store.read_stream_page(a, 4, 10).await.unwrap().is_empty());
    assert!(store.read_stream_page(a, 0, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn read_all_and_count_apply_the_filter_in_global_order() {
    let store = InMemoryEventStore::new();
    let (a, c) = (Uuid::now_v7(), Uuid::now_v7());
    store.commit(commit_of(vec![append(a, 0, &["Opened", "Deposited"])])).await.unwrap();
    store
        .commit(commit_of(vec![StreamAppend { stream_type: StreamType::Client, ..append(c, 0, &["Registered"]) }]))
        .await
        .unwrap();
    store.commit(commit_of(vec![append(a, 2, &["Deposited"])])).await.unwrap();

    let all = EventFilter::default();
    assert_eq!(positions(&store.read_all(0, 100, &all).await.unwrap()), [1, 2, 3, 4]);
    assert_eq!(positions(&store.read_all(2, 1, &all).await.unwrap()), [3]);
    assert!(store.read_all(4, 100, &all).await.unwrap().is_empty());
    assert_eq!(positions(&store.read_all(-5, 100, &all).await.unwrap()), [1, 2, 3, 4]);
    assert_eq!(store.count(&all).await.unwrap(), 4);

    let deposits = EventFilter { event_types: Some(vec!["Deposited".into()]), ..EventFilter::default() };
    assert_eq!(positions(&store.read_all(0, 100, &deposits).await.unwrap()), [2, 4]);
    assert_eq!(positions(&store.read_all(2, 100, &deposits).await.unwrap()), [4]);
    assert_eq!(store.count(&deposits).await.unwrap(), 2);

    let clients = EventFilter { stream_types: Some(vec![StreamType::Client]), ..EventFilter::default() };
    assert_eq!(positions(&store.read_all(0, 100, &clients).await.unwrap()), [3]);

    let of_a = EventFilter {
        stream_ids: Some(vec![a]),
        event_types: Some(vec!["Opened".into(), "Registered".into()]),
        ..EventFilter::default()
    };
    assert_eq!(positions(&store.read_all(0, 100, &of_a).await.unwrap()), [1]);

    let no_stream = EventFilter { stream_ids: Some(vec![]), ..EventFilter::default() };
    assert!(store.read_all(0, 100, &no_stream).await.unwrap().is_empty());
    assert_eq!(store.count(&no_stream).await.unwrap(), 0);
}
