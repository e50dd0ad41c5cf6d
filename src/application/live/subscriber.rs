use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use futures::stream::unfold;
use thiserror::Error;
use tokio::sync::watch;

use super::LiveFeed;
use super::routes::Route;
use crate::application::ports::RecordedEvent;

/// Events per hand-over from the buffer.
const BATCH: usize = 256;

/// Why a subscription stopped early; the client resumes with `after: resume_after`.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SubscriptionEnded {
    #[error("the subscriber fell {lag} events behind (at most {max_lag}); resume after position {resume_after}")]
    Lagged { lag: u64, max_lag: u64, resume_after: i64 },
    #[error("the event log cannot be read right now; resume after position {resume_after}")]
    Unavailable { resume_after: i64 },
}

impl SubscriptionEnded {
    pub fn resume_after(&self) -> i64 {
        match self {
            SubscriptionEnded::Lagged { resume_after, .. } | SubscriptionEnded::Unavailable { resume_after } => {
                *resume_after
            }
        }
    }
}

/// One subscriber's walk along the log: strictly increasing positions, each
/// committed event once, from the buffer when close to the head and from the
/// store when behind it.
///
/// With a route (an interest in some streams), it hands out only the events
/// its route covers, and it is woken only by commits on the streams it
/// follows rather than by every change of the head.
pub struct FeedStream {
    feed: Arc<LiveFeed>,
    head: watch::Receiver<i64>,
    route: Option<Route>,
    /// The last position handed out (or skipped over).
    position: i64,
    /// The last position read, covered or not: where `position` moves once
    /// `pending` is handed out.
    read_up_to: i64,
    pending: VecDeque<Arc<RecordedEvent>>,
    /// Has this subscriber reached the head at least once? Only a live
    /// subscriber can lag; the first catch-up may be as long as the log.
    live: bool,
    ended: bool,
}

impl FeedStream {
    pub(super) fn new(feed: Arc<LiveFeed>, after: i64, route: Option<Route>) -> Self {
        FeedStream {
            head: feed.watch_head(),
            feed,
            route,
            position: after.max(0),
            read_up_to: after.max(0),
            pending: VecDeque::new(),
            live: false,
            ended: false,
        }
    }

    /// The last position handed out, or where the walk starts.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Times the index has woken this subscriber (routed ones only).
    pub fn wakes(&self) -> Option<u64> {
        self.route.as_ref().map(Route::wakes)
    }

    pub fn into_stream(self) -> impl Stream<Item = Result<Arc<RecordedEvent>, SubscriptionEnded>> + Send + 'static {
        unfold(self, |mut this| async move { this.next().await.map(|item| (item, this)) })
    }

    async fn next(&mut self) -> Option<Result<Arc<RecordedEvent>, SubscriptionEnded>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.position = event.position;
                return Some(Ok(event));
            }
            if self.ended {
                return None;
            }
            self.position = self.position.max(self.read_up_to);
            let head = *self.head.borrow_and_update();
            if self.position >= head {
                self.live = true;
                if let Some(route) = &self.route {
                    route.woken().await;
                } else if self.head.changed().await.is_err() {
                    return None; // the feed is gone: the server is shutting down
                }
                continue;
            }
            if let Err(ended) = self.fill(head).await {
                self.ended = true;
                return Some(Err(ended));
            }
        }
    }

    async fn fill(&mut self, head: i64) -> Result<(), SubscriptionEnded> {
        if let Some(batch) = self.feed.buffered_after(self.position, BATCH) {
            self.take(batch);
            return Ok(());
        }
        // A routed subscriber is not woken while others' events pass, so
        // its distance to the head says nothing about its own backlog.
        let lag = u64::try_from(head - self.position).unwrap_or(0);
        if let Some(max_lag) = self.feed.config().max_lag
            && self.live
            && self.route.is_none()
            && lag > max_lag
        {
            return Err(SubscriptionEnded::Lagged { lag, max_lag, resume_after: self.position });
        }
        let page = self.feed.config().page_size;
        let filter = self.route.as_ref().map(Route::narrowed).unwrap_or_default();
        match self.feed.store().read_all(self.position, page, &filter).await {
            Ok(events) if events.is_empty() => {
                // Nothing (of its streams) committed in (position, head].
                self.read_up_to = head;
                Ok(())
            }
            Ok(events) => {
                self.take(events.into_iter().map(Arc::new).collect());
                Ok(())
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "a subscriber cannot read the log");
                Err(SubscriptionEnded::Unavailable { resume_after: self.position })
            }
        }
    }

    /// Queues the events of `read` (in order, after `position`) that its
    /// route covers, all of them without a route.
    fn take(&mut self, read: Vec<Arc<RecordedEvent>>) {
        if let Some(last) = read.last() {
            self.read_up_to = last.position;
        }
        match &self.route {
            None => self.pending.extend(read),
            Some(route) => self.pending.extend(read.into_iter().filter(|event| route.covers(event))),
        }
    }
}
