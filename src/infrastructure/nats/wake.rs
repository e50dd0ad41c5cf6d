//! Wake-ups between instances through core NATS: after each commit an
//! instance says "there is more" on `<prefix>.wake`, and every instance's
//! live feed reads the log when told. Only a hint: a lost one delays an
//! event until the feed's next poll, it never loses one.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::application::EventHandler;
use crate::application::live::LiveFeed;
use crate::application::ports::RecordedEvent;

/// Tells the other instances after each commit. Commits in a burst share one
/// message: the handler only raises a flag, and a task of its own publishes
/// once per flag, so a slow or absent broker never holds up a command.
pub struct NatsWaker {
    raised: Arc<Notify>,
}

impl NatsWaker {
    pub fn spawn(client: async_nats::Client, subject: String) -> Self {
        let raised = Arc::new(Notify::new());
        let flag = raised.clone();
        tokio::spawn(async move {
            loop {
                flag.notified().await;
                if let Err(error) = client.publish(subject.clone(), Default::default()).await {
                    tracing::debug!(%error, "cannot publish a wake-up");
                }
            }
        });
        NatsWaker { raised }
    }
}

#[async_trait]
impl EventHandler for NatsWaker {
    fn name(&self) -> &'static str {
        "nats wake-up"
    }

    async fn handle(&self, _events: &[RecordedEvent]) -> anyhow::Result<()> {
        self.raised.notify_one();
        Ok(())
    }
}

/// Wakes the live feed whenever any instance says there is more, for as
/// long as the process runs (the client re-subscribes after reconnecting).
pub fn spawn_wake_listener(client: async_nats::Client, subject: String, feed: Arc<LiveFeed>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            match client.subscribe(subject.clone()).await {
                Ok(mut wakes) => {
                    failures = 0;
                    // Whatever committed before the subscription.
                    feed.wake();
                    while wakes.next().await.is_some() {
                        feed.wake();
                    }
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%error, failures, "cannot listen for wake-ups on NATS; retrying");
                }
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25)).max(1))).await;
        }
    })
}
