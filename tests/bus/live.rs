//! The live feed over the in-memory store: catch-up, the switch to live,
//! slow subscribers, lag, and resuming.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use minibank::application::EventHandler;
use minibank::application::live::{FeedConfig, FeedNotifier, LiveFeed, SubscriptionEnded};
use minibank::application::ports::{EventFilter, EventStore};
use minibank::domain::value::Role;
use minibank::infrastructure::memory::InMemoryEventStore;

use crate::helpers::{TestApp, app_with, deposit_at_once};

async fn live_app(config: FeedConfig) -> (TestApp, Arc<LiveFeed>) {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    let feed = LiveFeed::start(store.clone(), config).await.unwrap();
    let notifier: Arc<dyn EventHandler> = Arc::new(FeedNotifier(feed.clone()));
    (app_with(store, vec![notifier], 50), feed)
}

fn config(buffer_capacity: usize, max_lag: Option<u64>) -> FeedConfig {
    FeedConfig { buffer_capacity, page_size: 50, poll_interval: Duration::from_millis(200), max_lag }
}

async fn all_positions(store: &Arc<dyn EventStore>) -> Vec<i64> {
    store.read_all(0, u64::MAX, &EventFilter::default()).await.unwrap().iter().map(|e| e.position).collect()
}

/// Collects positions from a subscription until it has `count` of them.
async fn collect(feed: &Arc<LiveFeed>, after: Option<i64>, count: usize) -> Vec<i64> {
    let stream = feed.subscribe(after).await.unwrap().into_stream();
    let positions = stream.take(count).map(|item| item.unwrap().position).collect::<Vec<_>>();
    tokio::time::timeout(Duration::from_secs(60), positions).await.expect("all events arrive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscribers_from_zero_get_every_event_once_in_order_under_concurrent_writers() {
    // A small buffer, so subscribers also take the store path while writers run.
    let (app, feed) = live_app(config(64, None)).await;
    let owner = app.register("owner", Role::Customer).await;
    let mut accounts = Vec::new();
    for _ in 0..8 {
        accounts.push(app.open(owner).await);
    }
    const DEPOSITS: usize = 200;
    let total = 1 + 8 + 8 * DEPOSITS;
    let subscribers: Vec<_> = (0..3)
        .map(|_| {
            tokio::spawn({
                let feed = feed.clone();
                async move { collect(&feed, Some(0), total).await }
            })
        })
        .collect();
    let app = Arc::new(app);
    deposit_at_once(&app, owner, &accounts, DEPOSITS).await;
    let expected = all_positions(&app.store).await;
    assert_eq!(expected.len(), total);
    for subscriber in subscribers {
        assert_eq!(subscriber.await.unwrap(), expected, "every event once, in order");
    }
}

#[tokio::test]
async fn a_subscriber_behind_the_buffer_catches_up_from_the_store() {
    let (app, feed) = live_app(config(10, None)).await;
    let owner = app.register("owner", Role::Customer).await;
    let account = app.open(owner).await;
    for _ in 0..100 {
        app.deposit(owner, account, 1).await;
    }
    let expected = all_positions(&app.store).await;
    assert_eq!(collect(&feed, Some(0), expected.len()).await, expected);
    assert_eq!(collect(&feed, Some(expected[49]), expected.len() - 50).await, expected[50..]);
}

#[tokio::test]
async fn without_after_only_new_events_arrive() {
    let (app, feed) = live_app(config(100, None)).await;
    let owner = app.register("owner", Role::Customer).await;
    let account = app.open(owner).await;
    tokio::time::timeout(Duration::from_secs(5), async {
        while feed.head() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let live = tokio::spawn({
        let feed = feed.clone();
        async move { collect(&feed, None, 1).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.deposit(owner, account, 5).await;
    assert_eq!(live.await.unwrap(), vec![3]);
}

#[tokio::test]
async fn a_live_subscriber_that_falls_too_far_behind_ends_with_its_resume_position() {
    let (app, feed) = live_app(config(5, Some(20))).await;
    let owner = app.register("owner", Role::Customer).await;
    let account = app.open(owner).await;
    let mut stream = Box::pin(feed.subscribe(Some(0)).await.unwrap().into_stream());
    assert_eq!(stream.next().await.unwrap().unwrap().position, 1);
    assert_eq!(stream.next().await.unwrap().unwrap().position, 2);
    // Caught up: now live. It stops reading while 50 more events commit.
    let waiting = tokio::time::timeout(Duration::from_millis(100), stream.next()).await;
    assert!(waiting.is_err(), "nothing new yet");
    for _ in 0..50 {
        app.deposit(owner, account, 1).await;
    }
    tokio::time::timeout(Duration::from_secs(5), async {
        while feed.head() < 52 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    match stream.next().await {
        Some(Err(SubscriptionEnded::Lagged { resume_after, max_lag, .. })) => {
            assert_eq!(resume_after, 2);
            assert_eq!(max_lag, 20);
        }
        other => panic!("expected a lag error, got {other:?}"),
    }
    assert!(stream.next().await.is_none(), "the subscription has ended");
    // Resuming where it stopped delivers the rest, nothing lost.
    let rest = collect(&feed, Some(2), 50).await;
    assert_eq!(rest, (3..=52).collect::<Vec<i64>>());
}

#[tokio::test]
async fn a_subscriber_that_disconnects_and_resumes_ends_with_the_complete_sequence() {
    let (app, feed) = live_app(config(16, None)).await;
    let owner = app.register("owner", Role::Customer).await;
    let account = app.open(owner).await;
    for _ in 0..60 {
        app.deposit(owner, account, 1).await;
    }
    let first_half = collect(&feed, Some(0), 30).await;
    let second_half = collect(&feed, first_half.last().copied(), 32).await;
    let mut resumed = first_half;
    resumed.extend(second_half);
    assert_eq!(resumed, all_positions(&app.store).await);
}
