use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use futures::stream::unfold;
use thiserror::Error;
use tokio::sync::watch;

use super::LiveFeed;
use crate::application::ports::{EventFilter, RecordedEvent};

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
pub struct FeedStream {
    feed: Arc<LiveFeed>,
    head: watch::Receiver<i64>,
    /// The last position handed out (or skipped over).
    position: i64,
    pending: VecDeque<Arc<RecordedEvent>>,
    /// Has this subscriber reached the head at least once? Only a live
    /// subscriber can lag; the first catch-up may be as long as the log.
    live: bool,
    ended: bool,
}

impl FeedStream {
    pub(super) fn new(feed: Arc<LiveFeed>, after: i64) -> Self {
        FeedStream {
            head: feed.watch_head(),
            feed,
            position: after.max(0),
            pending: VecDeque::new(),
            live: false,
            ended: false,
        }
    }

    /// The last position handed out, or where the walk starts.
    pub fn position(&self) -> i64 {
        self.position
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
            let head = *self.head.borrow_and_update();
            if self.position >= head {
                self.live = true;
                if self.head.changed().await.is_err() {
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
            self.pending.extend(batch);
            return Ok(());
        }
        let lag = u64::try_from(head - self.position).unwrap_or(0);
        if let Some(max_lag) = self.feed.config().max_lag
            && self.live
            && lag > max_lag
        {
            return Err(SubscriptionEnded::Lagged { lag, max_lag, resume_after: self.position });
        }
        let page = self.feed.config().page_size;
        match self.feed.store().read_all(self.position, page, &EventFilter::default()).await {
            Ok(events) if events.is_empty() => {
                // Nothing committed in (position, head]: nothing to wait for.
                self.position = head;
                Ok(())
            }
            Ok(events) => {
                self.pending.extend(events.into_iter().map(Arc::new));
                Ok(())
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "a subscriber cannot read the log");
                Err(SubscriptionEnded::Unavailable { resume_after: self.position })
            }
        }
    }
}
