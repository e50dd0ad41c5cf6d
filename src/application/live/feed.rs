use std::collections::VecDeque;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, SemaphorePermit, watch};

use super::routes::{Interest, Routes};
use super::subscriber::FeedStream;
use crate::application::ports::{CommitObserver, EventFilter, EventStore, RecordedEvent};

#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Events kept in memory for subscribers that are close to the head.
    pub buffer_capacity: usize,
    /// Events read from the store per query.
    pub page_size: u64,
    /// How often the log is read even without a notification (another
    /// instance's writes, a lost notification).
    pub poll_interval: Duration,
    /// A live subscriber further behind than this ends with an error that
    /// names the position to resume from; `None`: it catches up from the store.
    pub max_lag: Option<u64>,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            buffer_capacity: 10_000,
            page_size: 500,
            poll_interval: Duration::from_millis(1_000),
            max_lag: Some(1_000_000),
        }
    }
}

/// Every committed event with a position in `(covers_after, head]`, oldest first.
struct Buffer {
    events: VecDeque<Arc<RecordedEvent>>,
    covers_after: i64,
}

pub struct LiveFeed {
    store: Arc<dyn EventStore>,
    buffer: RwLock<Buffer>,
    /// The newest position the feed has read; subscribers wait on its changes.
    head: watch::Sender<i64>,
    wake: Notify,
    config: FeedConfig,
    /// Subscriptions start in turns: each start reads the database a few
    /// times, and a burst of thousands (a fleet of tabs reconnecting) would
    /// otherwise queue for pooled connections past the pool's timeout.
    starts: Semaphore,
    /// Who follows which streams: a commit wakes only them (and the
    /// subscribers of every stream).
    routes: Arc<Routes>,
}

/// The store's view of the feed: held weakly, so that the feed still ends
/// once nobody else holds it.
struct CommitsOfThisProcess(Weak<LiveFeed>);

impl CommitObserver for CommitsOfThisProcess {
    fn committed(&self, previous_head: i64, events: &[RecordedEvent]) {
        if let Some(feed) = self.0.upgrade() {
            feed.committed(previous_head, events);
        }
    }
}

/// Subscriptions starting at once: a quarter of the default pool.
const STARTS_AT_ONCE: usize = 4;

impl LiveFeed {
    /// A feed that starts following the log at its current head.
    pub async fn start(store: Arc<dyn EventStore>, config: FeedConfig) -> anyhow::Result<Arc<Self>> {
        let head = store.head().await?;
        let feed = Arc::new(LiveFeed {
            store,
            buffer: RwLock::new(Buffer { events: VecDeque::new(), covers_after: head }),
            head: watch::Sender::new(head),
            wake: Notify::new(),
            config,
            starts: Semaphore::new(STARTS_AT_ONCE),
            routes: Arc::default(),
        });
        feed.store.observe_commits(Arc::new(CommitsOfThisProcess(Arc::downgrade(&feed))));
        tokio::spawn(feed.clone().follow());
        Ok(feed)
    }

    /// Takes events this process committed straight into the buffer when
    /// the feed has read everything before them; otherwise (another
    /// instance committed in between) reads the log.
    fn committed(&self, previous_head: i64, events: &[RecordedEvent]) {
        if !self.append_if_contiguous(previous_head, events) {
            self.wake();
        }
    }

    /// Says that there may be new events to read.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits for a turn to start a subscription; the turn lasts as long as
    /// the permit is held.
    pub async fn start_turn(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquiring cannot fail.
        self.starts.acquire().await.ok()
    }

    /// The newest position delivered to subscribers so far.
    pub fn head(&self) -> i64 {
        *self.head.borrow()
    }

    pub fn config(&self) -> &FeedConfig {
        &self.config
    }

    pub(super) fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    pub(super) fn watch_head(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    /// Committed events after `after` (all of them, unfiltered), in order;
    /// without `after`, those committed from now on. "Now" is the store's
    /// head, not the feed's, which may trail it by a moment.
    pub async fn subscribe(self: &Arc<Self>, after: Option<i64>) -> anyhow::Result<FeedStream> {
        let after = match after {
            Some(after) => after,
            None => self.store.head().await?,
        };
        Ok(FeedStream::new(self.clone(), after, None))
    }

    /// As `subscribe`, but only the events of the streams `interest`
    /// follows, and woken only by commits on them.
    pub async fn subscribe_to(self: &Arc<Self>, after: Option<i64>, interest: Interest) -> anyhow::Result<FeedStream> {
        // Registered before the head is read: whatever is committed after
        // the head it starts from wakes it.
        let route = self.routes.register(interest);
        let after = match after {
            Some(after) => after,
            None => self.store.head().await?,
        };
        Ok(FeedStream::new(self.clone(), after, Some(route)))
    }

    /// Streams that at least one routed subscriber follows.
    pub fn followed_streams(&self) -> usize {
        self.routes.followed_streams()
    }

    /// Up to `limit` buffered events after `position`, or `None` when
    /// `position` is older than the buffer (read the store instead).
    pub(super) fn buffered_after(&self, position: i64, limit: usize) -> Option<Vec<Arc<RecordedEvent>>> {
        let buffer = self.buffer.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if position < buffer.covers_after {
            return None;
        }
        let start = buffer.events.partition_point(|e| e.position <= position);
        Some(buffer.events.range(start..).take(limit).cloned().collect())
    }

    /// The reader loop: on every wake-up or poll tick, read what is new.
    async fn follow(self: Arc<Self>) {
        let mut failures = 0u32;
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
            match self.read_new().await {
                Ok(()) => failures = 0,
                Err(error) => {
                    failures += 1;
                    tracing::warn!(error = format!("{error:#}"), failures, "live feed cannot read the log");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(failures.min(50)))).await;
                }
            }
            if Arc::strong_count(&self) == 1 {
                return; // nobody holds the feed any more
            }
        }
    }

    async fn read_new(&self) -> anyhow::Result<()> {
        loop {
            let from = self.head();
            let events = self.store.read_all(from, self.config.page_size, &EventFilter::default()).await?;
            if events.is_empty() {
                return Ok(());
            }
            let full_page = events.len() as u64 >= self.config.page_size;
            self.append_if_contiguous(from, &events);
            if !full_page {
                return Ok(());
            }
        }
    }

    /// Appends `events`, which follow `after` in the log with nothing in
    /// between, unless the feed's head is short of `after`; tells whether
    /// the feed now holds them. Events it holds already (the follower and a
    /// commit of this process may both bring the same ones) are skipped.
    fn append_if_contiguous(&self, after: i64, events: &[RecordedEvent]) -> bool {
        let mut buffer = self.buffer.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let head = self.head();
        if head < after {
            return false;
        }
        let start = events.partition_point(|e| e.position <= head);
        let Some(last) = events.last().map(|e| e.position).filter(|&last| last > head) else {
            return true;
        };
        buffer.events.extend(events[start..].iter().cloned().map(Arc::new));
        while buffer.events.len() > self.config.buffer_capacity {
            if let Some(evicted) = buffer.events.pop_front() {
                buffer.covers_after = evicted.position;
            }
        }
        // Under the buffer's lock, so that the head never runs ahead of it,
        // and the routed subscribers are woken after the head has moved.
        self.head.send_replace(last);
        self.routes.wake_for(&events[start..]);
        true
    }
}
