//! Routed subscribers of the live feed: each gets exactly the events of the
//! streams it follows, in order, from the buffer or the store, and is woken
//! only by commits on them.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use minibank::application::EventHandler;
use minibank::application::commands::{Command, RequestTransfer};
use minibank::application::live::{FeedConfig, FeedNotifier, FeedStream, Interest, LiveFeed};
use minibank::application::ports::{EventFilter, EventStore, RecordedEvent};
use minibank::domain::StreamType;
use minibank::domain::account::AccountEvent;
use minibank::domain::value::Role;
use minibank::infrastructure::memory::InMemoryEventStore;
use uuid::Uuid;

use crate::helpers::{TestApp, app_with, deposit_at_once, money, move_money};

async fn live_app(buffer_capacity: usize) -> (Arc<TestApp>, Arc<LiveFeed>) {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    let config = FeedConfig { buffer_capacity, page_size: 7, poll_interval: Duration::from_millis(200), max_lag: None };
    let feed = LiveFeed::start(store.clone(), config).await.unwrap();
    let notifier: Arc<dyn EventHandler> = Arc::new(FeedNotifier(feed.clone()));
    (Arc::new(app_with(store, vec![notifier], 50)), feed)
}

/// The first `count` events of `stream`, or a panic after 30 s.
async fn take(stream: FeedStream, count: usize) -> Vec<Arc<RecordedEvent>> {
    let events = stream.into_stream().take(count).map(|item| item.unwrap()).collect::<Vec<_>>();
    tokio::time::timeout(Duration::from_secs(30), events).await.expect("every event arrives")
}

/// What the log holds after `after` that `keep` selects, in order.
async fn in_log(app: &TestApp, after: i64, keep: impl Fn(&RecordedEvent) -> bool) -> Vec<i64> {
    let all = app.store.read_all(after, u64::MAX, &EventFilter::default()).await.unwrap();
    all.iter().filter(|e| keep(e)).map(|e| e.position).collect()
}

/// The log's head, once the feed has read up to it.
async fn caught_up(app: &TestApp, feed: &LiveFeed) -> i64 {
    let head = app.store.head().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while feed.head() < head {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the feed reads up to the head");
    head
}

fn positions(events: &[Arc<RecordedEvent>]) -> Vec<i64> {
    events.iter().map(|e| e.position).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_routed_subscriber_gets_its_streams_events_once_in_order_under_concurrent_writers() {
    // A buffer smaller than what passes, so subscribers also read the store.
    let (app, feed) = live_app(16).await;
    let owner = app.register("owner", Role::Customer).await;
    let mut accounts = Vec::new();
    for _ in 0..12 {
        accounts.push(app.open(owner).await);
    }
    let head = caught_up(&app, &feed).await;
    const DEPOSITS: usize = 40;
    let mut subscribers = Vec::new();
    for &account in &accounts {
        let stream = feed.subscribe_to(Some(head), Interest::streams([account])).await.unwrap();
        subscribers.push(tokio::spawn(take(stream, DEPOSITS)));
    }
    deposit_at_once(&app, owner, &accounts, DEPOSITS).await;
    for (account, subscriber) in accounts.iter().zip(subscribers) {
        let got = subscriber.await.unwrap();
        assert_eq!(positions(&got), in_log(&app, head, |e| e.stream_id == *account).await);
    }
}

#[tokio::test]
async fn a_commit_wakes_only_the_subscribers_of_its_streams() {
    let (app, feed) = live_app(1_000).await;
    let owner = app.register("owner", Role::Customer).await;
    let watched = app.open(owner).await;
    let other = app.open(owner).await;
    caught_up(&app, &feed).await;
    let bystanders: Vec<FeedStream> = {
        let mut streams = Vec::new();
        for _ in 0..1_000 {
            streams.push(feed.subscribe_to(None, Interest::streams([Uuid::new_v4()])).await.unwrap());
        }
        streams
    };
    let of_other = feed.subscribe_to(None, Interest::streams([other])).await.unwrap();
    let watcher = feed.subscribe_to(None, Interest::streams([watched])).await.unwrap();
    let watching = tokio::spawn(take(watcher, 5));
    for _ in 0..5 {
        app.deposit(owner, watched, 1).await;
    }
    let got = watching.await.unwrap();
    assert!(got.iter().all(|e| e.stream_id == watched));
    assert!(bystanders.iter().all(|stream| stream.wakes() == Some(0)), "no bystander was woken");
    assert_eq!(of_other.wakes(), Some(0));
    assert_eq!(feed.followed_streams(), 1_001, "the bystanders and `other`; the watcher has ended");
    drop(bystanders);
    drop(of_other);
    assert_eq!(feed.followed_streams(), 0, "a dropped subscriber leaves the index");
}

#[tokio::test]
async fn a_quiet_subscriber_whose_position_left_the_buffer_reads_its_events_from_the_store() {
    let (app, feed) = live_app(8).await;
    let owner = app.register("owner", Role::Customer).await;
    let quiet = app.open(owner).await;
    let busy = app.open(owner).await;
    let head = caught_up(&app, &feed).await;
    let exact = feed.subscribe_to(Some(head), Interest::streams([quiet])).await.unwrap();
    let widening = feed.subscribe_to(Some(head), Interest::widening([quiet])).await.unwrap();
    for _ in 0..60 {
        app.deposit(owner, busy, 1).await;
    }
    for _ in 0..3 {
        app.deposit(owner, quiet, 1).await;
    }
    let expected = in_log(&app, head, |e| e.stream_id == quiet).await;
    assert_eq!(expected.len(), 3);
    assert_eq!(positions(&take(exact, 3).await), expected);
    assert_eq!(positions(&take(widening, 3).await), expected);
}

#[tokio::test]
async fn a_widening_interest_follows_accounts_opened_and_transfers_requested_through_its_streams() {
    let (app, feed) = live_app(32).await;
    let customer = app.register("customer", Role::Customer).await;
    let stranger = app.register("stranger", Role::Customer).await;
    let customer_id = customer.client_id().unwrap();
    let own = app.open(customer).await;
    let strangers = app.open(stranger).await;
    app.deposit(stranger, strangers, 100).await;
    let head = caught_up(&app, &feed).await;
    let view = feed.subscribe_to(Some(head), Interest::widening([customer_id, own])).await.unwrap();
    let exact = feed.subscribe_to(Some(head), Interest::streams([customer_id, own])).await.unwrap();

    let opened_later = app.open(customer).await;
    app.deposit(customer, opened_later, 7).await;
    let incoming = app
        .run(
            stranger,
            Command::RequestTransfer(RequestTransfer {
                from_account_id: strangers,
                to_account_id: own,
                amount: money(5),
                description: None,
            }),
        )
        .await
        .unwrap();
    let transfer_id = incoming.iter().find(|e| e.stream_id != strangers).unwrap().stream_id;
    app.deposit(stranger, strangers, 1).await;
    app.deposit(customer, own, 1).await;

    let customers: HashSet<Uuid> = [customer_id, own, opened_later, transfer_id].into();
    let expected = in_log(&app, head, |e| customers.contains(&e.stream_id)).await;
    let got = take(view, expected.len()).await;
    assert_eq!(positions(&got), expected, "the opened account and the transfer, nothing of the stranger's own");
    let fixed = in_log(&app, head, |e| e.stream_id == customer_id || e.stream_id == own).await;
    assert_eq!(positions(&take(exact, fixed.len()).await), fixed, "an exact interest does not widen");
}

#[tokio::test]
async fn an_interest_in_kinds_of_events_is_woken_only_by_them_and_gets_only_them() {
    let (app, feed) = live_app(8).await;
    let owner = app.register("owner", Role::Customer).await;
    let account = app.open(owner).await;
    let head = caught_up(&app, &feed).await;
    let withdrawals =
        EventFilter { event_types: Some(vec![AccountEvent::MONEY_WITHDRAWN.into()]), ..Default::default() };
    let clients = EventFilter { stream_types: Some(vec![StreamType::Client]), ..Default::default() };
    let of_withdrawals = feed.subscribe_to(Some(head), Interest::of_filter(&withdrawals).unwrap()).await.unwrap();
    let of_clients = feed.subscribe_to(Some(head), Interest::of_filter(&clients).unwrap()).await.unwrap();
    assert_eq!(Interest::of_filter(&EventFilter::default()), None, "no filter: every event, unrouted");
    for _ in 0..30 {
        app.deposit(owner, account, 2).await;
    }
    caught_up(&app, &feed).await;
    assert_eq!((of_withdrawals.wakes(), of_clients.wakes()), (Some(0), Some(0)), "deposits wake neither");
    for _ in 0..3 {
        app.run(owner, Command::Withdraw(move_money(account, 1, None))).await.unwrap();
    }
    app.register("late", Role::Customer).await;
    let expected = in_log(&app, head, |e| withdrawals.matches(e)).await;
    assert_eq!(expected.len(), 3);
    assert_eq!(positions(&take(of_withdrawals, 3).await), expected, "the withdrawals, from the store and the buffer");
    let registered = in_log(&app, head, |e| clients.matches(e)).await;
    assert_eq!(positions(&take(of_clients, 1).await), registered);
}
