use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::sync::watch;

use super::ports::{BrokerSession, EventBroker, RelayLease};
use crate::application::live::LiveFeed;
use crate::application::ports::CheckpointStore;

#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Events handed to the broker and not yet acknowledged: enough to keep
    /// the connection busy while acknowledgements come back.
    pub window: usize,
    /// How often the checkpoint is written while events are acknowledged
    /// (one write per interval, not per event).
    pub checkpoint_interval: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        RelaySettings { window: 1_000, checkpoint_interval: Duration::from_millis(250) }
    }
}

/// Publishes every committed event to the broker, once and in position
/// order. It follows the log through the live feed, like the transfer
/// process, and resumes after whatever the stream already holds: a crash
/// or a broker restart re-sends nothing the stream has (and the broker's
/// de-duplication by event id absorbs what two instances might both send
/// while the lease changes hands). The checkpoint records what the broker
/// acknowledged, for the admin's `projections` and for a stream that has
/// lost track of its end.
pub struct EventRelay {
    feed: Arc<LiveFeed>,
    checkpoints: Arc<dyn CheckpointStore>,
    broker: Arc<dyn EventBroker>,
    lease: Arc<dyn RelayLease>,
    settings: RelaySettings,
}

/// Why a session ended without an error.
enum Ended {
    /// The feed is gone: the process is stopping.
    FeedClosed,
}

impl EventRelay {
    pub const NAME: &'static str = "nats_relay";

    pub fn new(
        feed: Arc<LiveFeed>,
        checkpoints: Arc<dyn CheckpointStore>,
        broker: Arc<dyn EventBroker>,
        lease: Arc<dyn RelayLease>,
        settings: RelaySettings,
    ) -> Self {
        EventRelay { feed, checkpoints, broker, lease, settings }
    }

    /// Runs for as long as the process does: waits for the lease, publishes
    /// while holding it, and waits again when it is lost.
    pub async fn run(self) {
        loop {
            let mut lease = match self.lease.acquire().await {
                Ok(lease) => lease,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "the relay cannot take its lease; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            tracing::info!("this instance now relays the committed events to NATS");
            tokio::select! {
                Ended::FeedClosed = self.publish() => return,
                () = lease.lost() => {
                    tracing::warn!("the relay lost its lease; it stops publishing until it holds it again");
                }
            }
        }
    }

    /// Publishes session after session, each resuming where the stream ends.
    async fn publish(&self) -> Ended {
        let mut failures = 0u32;
        loop {
            match self.session(&mut failures).await {
                Ok(ended) => return ended,
                Err(error) => {
                    failures += 1;
                    tracing::warn!(error = format!("{error:#}"), failures, "the relay is interrupted; resuming");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(failures.min(30)))).await;
                }
            }
        }
    }

    async fn session(&self, failures: &mut u32) -> anyhow::Result<Ended> {
        let mut session = self.broker.open().await?;
        let checkpoint = self.checkpoints.position(Self::NAME).await?;
        let from = session.last_position().unwrap_or(checkpoint);
        // Also lists the relay among the projections from its first run on.
        self.checkpoints.advance(Self::NAME, from).await?;
        // Written beside the publishing, never in its way: on SQLite the
        // checkpoint waits for the one writer connection behind the commits.
        let (acked, acked_rx) = watch::channel(from);
        tokio::spawn(write_checkpoints(self.checkpoints.clone(), acked_rx, self.settings.checkpoint_interval));
        let mut events = Box::pin(self.feed.subscribe(Some(from)).await?.into_stream());
        let mut pending = FuturesOrdered::new();
        loop {
            tokio::select! {
                biased;
                Some(stored) = pending.next(), if !pending.is_empty() => {
                    acked.send_replace(stored?);
                    *failures = 0;
                }
                next = events.next(), if pending.len() < self.settings.window => {
                    let event = match next {
                        Some(Ok(event)) => event,
                        Some(Err(ended)) => return Err(ended).context("the live feed ended the relay's subscription"),
                        None => return Ok(Ended::FeedClosed),
                    };
                    let position = event.position;
                    let stored = send(session.as_mut(), &event).await?;
                    pending.push_back(async move {
                        stored.await.with_context(|| format!("event {position} was not acknowledged"))?;
                        anyhow::Ok(position)
                    });
                }
            }
        }
    }
}

/// Records the last acknowledged position at most once per `every`, and
/// once more when the session has ended.
async fn write_checkpoints(checkpoints: Arc<dyn CheckpointStore>, mut acked: watch::Receiver<i64>, every: Duration) {
    let mut saved = *acked.borrow_and_update();
    loop {
        let open = acked.changed().await.is_ok();
        let position = *acked.borrow_and_update();
        if position > saved {
            match checkpoints.advance(EventRelay::NAME, position).await {
                Ok(()) => saved = position,
                Err(error) => tracing::warn!(error = format!("{error:#}"), "cannot record the relay's checkpoint"),
            }
        }
        if !open {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

async fn send(
    session: &mut dyn BrokerSession,
    event: &crate::application::ports::RecordedEvent,
) -> anyhow::Result<super::Pending> {
    session.send(event).await.with_context(|| format!("cannot send event {}", event.position))
}
