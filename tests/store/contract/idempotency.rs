//! Idempotency records: kept in the commit's transaction, with the positions
//! the command recorded or, when it recorded none, the stream and version it
//! was decided against.

use minibank::application::ports::{Commit, CommitError, EventFilter, IdempotencyKey, ProcessedCommand, StreamVersion};
use minibank::domain::StreamType;
use uuid::Uuid;

use super::on_each_event_store;
use crate::events::{append, deposited, opened};

fn key(fingerprint: &str) -> IdempotencyKey {
    IdempotencyKey { command_id: Uuid::now_v7(), fingerprint: fingerprint.to_owned() }
}

/// `commit` carrying `key`.
fn keyed(mut commit: Commit, key: &IdempotencyKey) -> Commit {
    commit.idempotency = Some(key.clone());
    commit
}

#[tokio::test]
async fn a_command_that_recorded_events_keeps_their_positions() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let account = Uuid::now_v7();
        let k = key("open");
        let events = vec![opened(account, Uuid::now_v7(), 1), deposited(1000, 1000)];
        let recorded = store.commit(keyed(append(StreamType::Account, account, 0, events), &k)).await.unwrap();

        let done = store.processed(k.command_id).await.unwrap();
        let positions = recorded.iter().map(|e| e.position).collect();
        assert_eq!(done, Some(ProcessedCommand { fingerprint: k.fingerprint, positions, unchanged: None }));
    })
    .await;
}

#[tokio::test]
async fn a_command_that_changed_nothing_keeps_the_version_it_found_and_writes_no_event() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let account = Uuid::now_v7();
        let events = vec![opened(account, Uuid::now_v7(), 1), deposited(1000, 1000)];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();
        let before = store.count(&EventFilter::default()).await.unwrap();
        let head = store.head().await.unwrap();

        let k = key("unchanged");
        let recorded = store.commit(keyed(append(StreamType::Account, account, 2, vec![]), &k)).await.unwrap();
        assert!(recorded.is_empty(), "{}", subject.name);
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), before);
        assert_eq!(store.head().await.unwrap(), head);
        let found = StreamVersion { stream_id: account, version: 2 };
        let done = store.processed(k.command_id).await.unwrap();
        assert_eq!(
            done,
            Some(ProcessedCommand { fingerprint: k.fingerprint.clone(), positions: vec![], unchanged: Some(found) })
        );

        // The key is taken: a concurrent repeat that decided the same loses.
        let again = store.commit(keyed(append(StreamType::Account, account, 2, vec![]), &k)).await.unwrap_err();
        assert!(matches!(again, CommitError::AlreadyProcessed), "{again:?}");
        // Its record never changes, even when the repeat would record events.
        let again = store.commit(keyed(append(StreamType::Account, account, 2, vec![deposited(1, 1001)]), &k)).await;
        assert!(matches!(again, Err(CommitError::AlreadyProcessed)), "{again:?}");
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), before, "rolled back whole");
        assert_eq!(store.processed(k.command_id).await.unwrap().and_then(|d| d.unchanged), Some(found));
    })
    .await;
}

#[tokio::test]
async fn a_command_that_changed_nothing_at_a_stale_version_conflicts_and_keeps_nothing() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let account = Uuid::now_v7();
        let events = vec![opened(account, Uuid::now_v7(), 1), deposited(1000, 1000)];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();

        let k = key("stale");
        let stale = store.commit(keyed(append(StreamType::Account, account, 1, vec![]), &k)).await.unwrap_err();
        assert!(
            matches!(stale, CommitError::Conflict { stream_id, expected_version: 1 } if stream_id == account),
            "{stale:?}"
        );
        assert_eq!(store.processed(k.command_id).await.unwrap(), None, "decided again, with its key free");
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 2);
    })
    .await;
}
