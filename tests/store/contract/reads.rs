//! Reading the log: filters, counts, pages and stream bounds.

use std::time::Duration;

use minibank::application::ports::{EventFilter, StreamBound};
use minibank::domain::StreamType;
use uuid::Uuid;

use super::{on_each_event_store, positions, versions};
use crate::events::{append, appends, deposited, opened, register, stream};

#[tokio::test]
async fn read_all_filters_counts_and_pages() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let (client, account) = (Uuid::now_v7(), Uuid::now_v7());
        store.commit(register(client, "carol", "carol@example.com", "Carol")).await.unwrap();
        let events = vec![opened(account, client, 3), deposited(100, 100), deposited(100, 200)];
        store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();

        let everything = EventFilter::default();
        assert_eq!(store.count(&everything).await.unwrap(), 4, "{}", subject.name);
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
    on_each_event_store(|subject| async move {
        let store = subject.store;
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
        assert_eq!(up_to_1, early[..1], "{}", subject.name);
        assert_eq!(store.read_stream(account, StreamBound::UpToVersion(2)).await.unwrap(), early);
        assert!(store.read_stream(account, StreamBound::UpToVersion(0)).await.unwrap().is_empty());
        assert!(store.read_stream(Uuid::now_v7(), StreamBound::All).await.unwrap().is_empty());

        let at_early = store.read_stream(account, StreamBound::RecordedUpTo(early[0].recorded_at)).await.unwrap();
        assert_eq!(at_early, early, "{}", subject.name);
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
    on_each_event_store(|subject| async move {
        let store = subject.store;
        assert_eq!(store.head().await.unwrap(), 0, "{}", subject.name);
        let (client, account) = (Uuid::now_v7(), Uuid::now_v7());
        store.commit(register(client, "dave", "dave@example.com", "Dave")).await.unwrap();
        let events = vec![opened(account, client, 3), deposited(100, 100)];
        let recorded = store.commit(append(StreamType::Account, account, 0, events)).await.unwrap();
        let everything = EventFilter::default();
        let all = store.read_all(0, u64::MAX, &everything).await.unwrap();
        assert_eq!(all.len(), 3, "{}", subject.name);
        let page = store.read_stream_page(account, 0, u64::MAX).await.unwrap();
        assert_eq!(page.len(), 2, "{}", subject.name);
        assert_eq!(store.head().await.unwrap(), recorded.last().unwrap().position, "{}", subject.name);
    })
    .await;
}

#[tokio::test]
async fn stream_pages_start_after_a_version_and_stop_at_the_limit() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        store
            .commit(appends(vec![
                stream(StreamType::Account, a, 0, vec![opened(a, Uuid::now_v7(), 1), deposited(100, 100)]),
                stream(StreamType::Account, b, 0, vec![opened(b, Uuid::now_v7(), 2)]),
                stream(StreamType::Account, a, 2, vec![deposited(100, 200), deposited(100, 300)]),
            ]))
            .await
            .unwrap();
        let page = store.read_stream_page(a, 1, 2).await.unwrap();
        assert_eq!(versions(&page), [2, 3], "{}", subject.name);
        assert!(page.iter().all(|e| e.stream_id == a));
        assert_eq!(versions(&store.read_stream_page(a, 3, 10).await.unwrap()), [4]);
        assert!(store.read_stream_page(a, 4, 10).await.unwrap().is_empty());
        assert!(store.read_stream_page(a, 0, 0).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn read_all_and_count_apply_the_filter_in_global_order() {
    on_each_event_store(|subject| async move {
        let store = subject.store;
        let (a, c) = (Uuid::now_v7(), Uuid::now_v7());
        let events = vec![opened(a, Uuid::now_v7(), 1), deposited(100, 100)];
        store.commit(append(StreamType::Account, a, 0, events)).await.unwrap();
        store.commit(register(c, "erin", "erin@example.com", "Erin")).await.unwrap();
        store.commit(append(StreamType::Account, a, 2, vec![deposited(100, 200)])).await.unwrap();

        let all = EventFilter::default();
        assert_eq!(positions(&store.read_all(0, 100, &all).await.unwrap()), [1, 2, 3, 4], "{}", subject.name);
        assert_eq!(positions(&store.read_all(2, 1, &all).await.unwrap()), [3]);
        assert!(store.read_all(4, 100, &all).await.unwrap().is_empty());
        assert_eq!(positions(&store.read_all(-5, 100, &all).await.unwrap()), [1, 2, 3, 4]);
        assert_eq!(store.count(&all).await.unwrap(), 4);

        let deposits = EventFilter { event_types: Some(vec!["MoneyDeposited".into()]), ..EventFilter::default() };
        assert_eq!(positions(&store.read_all(0, 100, &deposits).await.unwrap()), [2, 4]);
        assert_eq!(positions(&store.read_all(2, 100, &deposits).await.unwrap()), [4]);
        assert_eq!(store.count(&deposits).await.unwrap(), 2);

        let clients = EventFilter { stream_types: Some(vec![StreamType::Client]), ..EventFilter::default() };
        assert_eq!(positions(&store.read_all(0, 100, &clients).await.unwrap()), [3]);

        let of_a = EventFilter {
            stream_ids: Some(vec![a]),
            event_types: Some(vec!["AccountOpened".into(), "ClientRegistered".into()]),
            ..EventFilter::default()
        };
        assert_eq!(positions(&store.read_all(0, 100, &of_a).await.unwrap()), [1]);

        let no_stream = EventFilter { stream_ids: Some(vec![]), ..EventFilter::default() };
        assert!(store.read_all(0, 100, &no_stream).await.unwrap().is_empty());
        assert_eq!(store.count(&no_stream).await.unwrap(), 0);
    })
    .await;
}
