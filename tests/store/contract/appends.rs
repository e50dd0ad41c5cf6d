//! Appending and reading back; optimistic concurrency.

use minibank::application::ports::{Commit, CommitError, EventFilter, StreamAppend, StreamBound};
use minibank::domain::StreamType;
use uuid::Uuid;

use super::{on_each_event_store, positions, versions};
use crate::events::{append, appends, claim, deposited, opened, stream};

#[tokio::test]
async fn appended_events_read_back_equal() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
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
        assert_eq!(read, committed, "{}", subject.name);
        let all = store.read_all(0, 100, &EventFilter::default()).await.unwrap();
        assert_eq!(all, committed, "{}", subject.name);
    })
    .await;
}

#[tokio::test]
async fn a_stale_expected_version_conflicts_and_writes_nothing() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let account = Uuid::now_v7();
        let other = Uuid::now_v7();
        store.commit(append(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), 1)])).await.unwrap();

        // The second append is stale, so the first must not be written either,
        // nor the commit's claim taken.
        let mut commit = append(StreamType::Account, other, 0, vec![opened(other, Uuid::now_v7(), 2)]);
        commit.appends.push(StreamAppend {
            stream_id: account,
            stream_type: StreamType::Account,
            expected_version: 0,
            events: vec![deposited(100, 100)],
        });
        commit.claims.push(claim("username", "alice"));
        let err = store.commit(commit).await.unwrap_err();
        assert!(
            matches!(err, CommitError::Conflict { stream_id, expected_version: 0 } if stream_id == account),
            "{}: {err:?}",
            subject.name
        );
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 1);
        assert!(store.read_stream(other, StreamBound::All).await.unwrap().is_empty());
        let retried = Commit {
            claims: vec![claim("username", "alice")],
            ..append(StreamType::Account, other, 0, vec![opened(other, Uuid::now_v7(), 2)])
        };
        store.commit(retried).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn of_concurrent_appends_at_the_same_version_exactly_one_wins() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
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
                Err(other) => panic!("{}: unexpected {other:?}", subject.name),
            }
        }
        assert_eq!(wins, 1, "{}", subject.name);
        let stream = store.read_stream(account, StreamBound::All).await.unwrap();
        assert_eq!(stream.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn positions_start_at_one_and_versions_count_per_stream() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = store
            .commit(append(StreamType::Account, a, 0, vec![opened(a, Uuid::now_v7(), 1), deposited(100, 100)]))
            .await
            .unwrap();
        let b_opened = opened(b, Uuid::now_v7(), 2);
        let second = store
            .commit(appends(vec![
                stream(StreamType::Account, b, 0, vec![b_opened.clone()]),
                stream(StreamType::Account, a, 2, vec![deposited(100, 200)]),
            ]))
            .await
            .unwrap();
        assert_eq!(positions(&first), [1, 2], "{}", subject.name);
        assert_eq!(versions(&first), [1, 2]);
        assert_eq!(positions(&second), [3, 4], "{}", subject.name);
        assert_eq!(versions(&second), [1, 3]);
        assert_eq!(second[0].stream_id, b);
        assert_eq!(second[0].stream_type, StreamType::Account);
        assert_eq!(second[0].data, b_opened.data);
        assert_eq!(second[0].recorded_at, second[1].recorded_at, "one commit, one instant");
        let a_stream = store.read_stream(a, StreamBound::All).await.unwrap();
        assert_eq!(versions(&a_stream), [1, 2, 3]);
        assert_eq!(positions(&a_stream), [1, 2, 4]);
    })
    .await;
}

#[tokio::test]
async fn a_version_ahead_of_the_stream_is_a_conflict_too() {
    on_each_event_store(|subject| async move {
        let account = Uuid::now_v7();
        let ahead = append(StreamType::Account, account, 1, vec![opened(account, Uuid::now_v7(), 1)]);
        let err = subject.store.commit(ahead).await.unwrap_err();
        assert!(matches!(err, CommitError::Conflict { .. }), "{}: {err:?}", subject.name);
    })
    .await;
}

#[tokio::test]
async fn two_appends_to_one_stream_chain_their_versions() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let account = Uuid::now_v7();
        let clashing = appends(vec![
            stream(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), 1)]),
            stream(StreamType::Account, account, 0, vec![deposited(100, 100)]),
        ]);
        let err = store.commit(clashing).await.unwrap_err();
        assert!(matches!(err, CommitError::Conflict { .. }), "{}: {err:?}", subject.name);
        let chained = appends(vec![
            stream(StreamType::Account, account, 0, vec![opened(account, Uuid::now_v7(), 1)]),
            stream(StreamType::Account, account, 1, vec![deposited(100, 100)]),
        ]);
        assert_eq!(versions(&store.commit(chained).await.unwrap()), [1, 2], "{}", subject.name);
    })
    .await;
}

#[tokio::test]
async fn an_empty_commit_records_nothing() {
    on_each_event_store(|subject| async move {
        assert!(subject.store.commit(Commit::default()).await.unwrap().is_empty(), "{}", subject.name);
        assert_eq!(subject.store.count(&EventFilter::default()).await.unwrap(), 0);
    })
    .await;
}
