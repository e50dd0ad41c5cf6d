//! Reading the log: filters, counts, pages and stream bounds.

use std::time::Duration;

use minibank::application::ports::{EventFilter, EventStore, StreamBound};
use minibank::domain::StreamType;
use uuid::Uuid;

use crate::events::{append, deposited, opened, register};
use crate::support::on_each_backend;

#[tokio::test]
async fn read_all_filters_counts_and_pages() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let (client, account) = (Uuid::now_v7(), Uuid::now_v7());
        store.commit(register(client, "carol", "carol@example.com", "Carol")).await.unwrap();
        let events = vec![opened(account, client, 3), deposited(100, 100), deposited(100, 200)];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();

        let everything = EventFilter::default();
        assert_eq!(store.count(&everything).await.unwrap(), 4, "{}", backend.name);
        let nothing = EventFilter { stream_ids: Some(vec![]), ..EventFilter::default() };
        assert_eq!(store.count(&nothing).await.unwrap(), 0);
        assert!(store.read_all(0, 10, &nothing).await.unwrap().is_empty());

        let accounts_only = EventFilter { stream_types: Some(vec![StreamType::Account]), ..EventFilter::default() };
        let read = store.read_all(0, 10, &accounts_only).await.unwrap();
        assert_eq!(read.len(), 3);
        assert!(read.iter().all(|e| e.stream_id == account));

        let deposits_of_account = EventFilter {
            stream_ids: Some(vec![account, Uuid::now_v7()]),
            stream_types: None,
            event_types: Some(vec!["MoneyDeposited".to_owned()]),
        };
        assert_eq!(store.count(&deposits_of_account).await.unwrap(), 2);
        let client_only = EventFilter { stream_ids: Some(vec![client]), ..EventFilter::default() };
        let read = store.read_all(0, 10, &client_only).await.unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].event_type, "ClientRegistered");

        // Paging by position: two, then the rest after the last one seen.
        let first = store.read_all(0, 2, &everything).await.unwrap();
        assert_eq!(first.len(), 2);
        let rest = store.read_all(first[1].position, 10, &everything).await.unwrap();
        assert_eq!(rest.len(), 2);
        assert!(rest[0].position > first[1].position);
        assert!(rest[0].position < rest[1].position);
        assert!(store.read_all(0, 0, &everything).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn read_stream_stops_at_a_version_or_an_instant() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let account = Uuid::now_v7();
        let early = store
            .commit(append(
                StreamType::Account,
                account,
                0,
                vec![opened(account, Uuid::now_v7(), 4), deposited(100, 100)],
            ))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let late = store.commit(append(StreamType::Account, account, 2, vec![deposited(100, 200)])).await.unwrap();

        let up_to_1 = store.read_stream(account, StreamBound::UpToVersion(1)).await.unwrap();
        assert_eq!(up_to_1, early[..1], "{}", backend.name);

        let at_early = store.read_stream(account, StreamBound::RecordedUpTo(early[0].recorded_at)).await.unwrap();
        assert_eq!(at_early, early, "{}", backend.name);
        let before_anything = early[0].recorded_at - chrono::Duration::microseconds(1);
        let none = store.read_stream(account, StreamBound::RecordedUpTo(before_anything)).await.unwrap();
        assert!(none.is_empty());
        let all = store.read_stream(account, StreamBound::RecordedUpTo(late[0].recorded_at)).await.unwrap();
        assert_eq!(all.len(), 3);

        let page = store.read_stream_page(account, 1, 1).await.unwrap();
        assert_eq!(page, early[1..]);
        let page = store.read_stream_page(account, 2, 10).await.unwrap();
        assert_eq!(page, late);
    })
    .await;
}

#[tokio::test]
async fn any_limit_reads_and_the_head_is_the_newest_position() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        assert_eq!(store.head().await.unwrap(), 0, "{}", backend.name);
        let (client, account) = (Uuid::now_v7(), Uuid::now_v7());
        store.commit(register(client, "dave", "dave@example.com", "Dave")).await.unwrap();
        let events = vec![opened(account, client, 3), deposited(100, 100)];
        let recorded = store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();
        let everything = EventFilter::default();
        let all = store.read_all(0, u64::MAX, &everything).await.unwrap();
        assert_eq!(all.len(), 3, "{}", backend.name);
        let page = store.read_stream_page(account, 0, u64::MAX).await.unwrap();
        assert_eq!(page.len(), 2, "{}", backend.name);
        assert_eq!(store.head().await.unwrap(), recorded.last().unwrap().position, "{}", backend.name);
    })
    .await;
}
