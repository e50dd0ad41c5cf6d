//! Unique claims commit with the events, or neither does.

use minibank::application::ports::{Commit, CommitError, EventFilter, StreamBound};
use uuid::Uuid;

use super::on_each_event_store;
use crate::events::{claim, register};

#[tokio::test]
async fn a_value_can_be_claimed_once_and_a_refused_claim_writes_no_events() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        store.commit(register(Uuid::now_v7(), "alice", "alice@example.com", "Alice")).await.unwrap();

        let second = Uuid::now_v7();
        let err = store.commit(register(second, "alice", "other@example.com", "Alice")).await.unwrap_err();
        assert!(matches!(err, CommitError::AlreadyClaimed { scope: "username" }), "{err:?}");

        let third = Uuid::now_v7();
        let err = store.commit(register(third, "bob", "ALICE@example.com", "Bob")).await.unwrap_err();
        assert!(matches!(err, CommitError::AlreadyClaimed { scope: "email" }), "{err:?}");

        for refused in [second, third] {
            let stream = store.read_stream(refused, StreamBound::All).await.unwrap();
            assert!(stream.is_empty(), "{}", subject.name);
        }
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 1);

        // The refused commits left no claim behind: "bob" is still free.
        store.commit(register(third, "bob", "bob@example.com", "Bob")).await.unwrap();
        // The same value in another scope is another claim.
        let other_scope = Commit { claims: vec![claim("username", "alice@example.com")], ..Commit::default() };
        store.commit(other_scope).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn one_commit_cannot_claim_a_value_twice() {
    on_each_event_store(|subject| async move {
        let twice =
            Commit { claims: vec![claim("username", "carol"), claim("username", "carol")], ..Commit::default() };
        let err = subject.store.commit(twice).await.unwrap_err();
        assert!(matches!(err, CommitError::AlreadyClaimed { scope: "username" }), "{}: {err:?}", subject.name);
    })
    .await;
}
