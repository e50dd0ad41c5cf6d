//! Wake-ups between instances through core NATS: after each commit an
//! instance says "there is more" on `<prefix>.wake`, and every instance's
//! live feed reads the log when told. Only a hint: a lost one delays an
//! event until the feed's next poll, it never loses one.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::application::live::{CoalescedSignal, LiveFeed};

/// Tells the other instances after commits: one message for however many
/// commits happened while the previous one was being published. The payload
/// names the sender, so that an instance skips its own (its feed has those
/// events already).
pub fn nats_waker(client: async_nats::Client, subject: String, instance: Uuid) -> CoalescedSignal {
    let sender = instance.to_string();
    CoalescedSignal::spawn("nats wake-up", move || {
        let (client, subject, sender) = (client.clone(), subject.clone(), sender.clone());
        async move {
            if let Err(error) = client.publish(subject, sender.into()).await {
                tracing::debug!(%error, "cannot publish a wake-up");
            }
        }
    })
}

/// Wakes the live feed whenever any instance says there is more, for as
/// long as the process runs (the client re-subscribes after reconnecting).
pub fn spawn_wake_listener(
    client: async_nats::Client,
    subject: String,
    instance: Uuid,
    feed: Arc<LiveFeed>,
) -> JoinHandle<()> {
    let own = instance.to_string();
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            match client.subscribe(subject.clone()).await {
                Ok(mut wakes) => {
                    failures = 0;
                    // Whatever committed before the subscription.
                    feed.wake();
                    while let Some(wake) = wakes.next().await {
                        if wake.payload.as_ref() != own.as_bytes() {
                            feed.wake();
                        }
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
