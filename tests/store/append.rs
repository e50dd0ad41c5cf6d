//! Appending and reading back; optimistic concurrency.

use std::sync::Arc;

use minibank::application::ports::{CommitError, EventFilter, EventStore, StreamAppend, StreamBound};
use minibank::domain::StreamType;
use uuid::Uuid;

use crate::events::{append, deposited, opened};
use crate::support::on_each_backend;

#[tokio::test]
async fn appended_events_read_back_equal() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let account = Uuid::now_v7();
        let events = vec![opened(account, Uuid::now_v7(), 1), deposited(1000, 1000)];
        let committed = store.commit(append(StreamType::Account, account, 0, events.clone())).await.unwrap();

        assert_eq!(committed.len(), 2);
        assert_eq!(committed[0].version, 1);
        assert_eq!(committed[1].version, 2);
        assert!(committed[0].position >= 1);
        assert_eq!(committed[1].position, committed[0].position + 1);
        assert_eq!(committed[0].metadata, events[0].metadata);
        assert_eq!(committed[1].data, events[1].data);

        let read = store.read_stream(account, StreamBound::All).await.unwrap();
        assert_eq!(read, committed, "{}", backend.name);
        let all = store.read_all(0, 100, &EventFilter::default()).await.unwrap();
        assert_eq!(all, committed, "{}", backend.name);
    })
    .await;
}

#[tokio::test]
async fn a_stale_expected_version_conflicts_and_writes_nothing() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let account = Uuid::now_v7();
        let other = Uuid::now_v7();
        store.commit(append(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), 1)])).await.unwrap();

        // The second append is stale, so the first must not be written either.
        let mut commit = append(StreamType::Account, other, 0, vec![opened(other, Uuid::now_v7(), 2)]);
        commit.appends.push(StreamAppend {
            stream_id: account,
            stream_type: StreamType::Account,
            expected_version: 0,
            events: vec![deposited(100, 100)],
        });
        let err = store.commit(commit).await.unwrap_err();
        assert!(
            matches!(err, CommitError::Conflict { stream_id, expected_version: 0 } if stream_id == account),
            "{err:?}"
        );
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 1);
        assert!(store.read_stream(other, StreamBound::All).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn of_concurrent_appends_at_the_same_version_exactly_one_wins() {
    on_each_backend(|backend| async move {
        let store = Arc::new(backend.store());
        let account = Uuid::now_v7();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .commit(append(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), i)]))
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(CommitError::Conflict { .. }) => {}
                Err(other) => panic!("{}: unexpected {other:?}", backend.name),
            }
        }
        assert_eq!(wins, 1, "{}", backend.name);
        let stream = store.read_stream(account, StreamBound::All).await.unwrap();
        assert_eq!(stream.len(), 1);
    })
    .await;
}
