//! Unique claims commit with the events, or neither does.

use minibank::application::ports::{CommitError, EventFilter, EventStore, StreamBound};
use uuid::Uuid;

use crate::events::register;
use crate::support::on_each_backend;

#[tokio::test]
async fn a_value_can_be_claimed_once_and_a_refused_claim_writes_no_events() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        store.commit(register(Uuid::now_v7(), "alice", "alice@example.com", "Alice")).await.unwrap();

        let second = Uuid::now_v7();
        let err = store.commit(register(second, "alice", "other@example.com", "Alice")).await.unwrap_err();
        assert!(matches!(err, CommitError::AlreadyClaimed { scope: "username" }), "{err:?}");

        let third = Uuid::now_v7();
        let err = store.commit(register(third, "bob", "ALICE@example.com", "Bob")).await.unwrap_err();
        assert!(matches!(err, CommitError::AlreadyClaimed { scope: "email" }), "{err:?}");

        for refused in [second, third] {
            let stream = store.read_stream(refused, StreamBound::All).await.unwrap();
            assert!(stream.is_empty(), "{}", backend.name);
        }
        assert_eq!(store.count(&EventFilter::default()).await.unwrap(), 1);

        // The refused commits left no claim behind: "bob" is still free.
        store.commit(register(third, "bob", "bob@example.com", "Bob")).await.unwrap();
    })
    .await;
}
