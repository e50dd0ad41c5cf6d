use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use uuid::Uuid;

use crate::application::commands::{Command, CommandMeta};
use crate::application::live::LiveFeed;
use crate::application::ports::{CheckpointStore, RecordedEvent};
use crate::application::{Actor, AppError, MessageBus};
use crate::domain::transfer::TransferEvent;

/// Settles every requested transfer. It is driven from the event store, not
/// from memory: it follows the log from its own checkpoint (through the live
/// feed, so in order and without gaps), and after a restart it simply carries
/// on from there. A step that was done before a crash is found done and
/// skipped, so re-reading an event is harmless.
pub struct TransferProcess {
    bus: Arc<MessageBus>,
    feed: Arc<LiveFeed>,
    checkpoints: Arc<dyn CheckpointStore>,
}

impl TransferProcess {
    pub const NAME: &'static str = "transfer_process";

    pub fn new(bus: Arc<MessageBus>, feed: Arc<LiveFeed>, checkpoints: Arc<dyn CheckpointStore>) -> Self {
        TransferProcess { bus, feed, checkpoints }
    }

    /// Runs for as long as the process does.
    pub async fn run(self) {
        loop {
            if let Err(error) = self.follow().await {
                tracing::warn!(error = format!("{error:#}"), "transfer process interrupted; resuming");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }

    async fn follow(&self) -> anyhow::Result<()> {
        let from = self.checkpoints.position(Self::NAME).await?;
        let mut events = Box::pin(self.feed.subscribe(Some(from)).await?.into_stream());
        while let Some(event) = events.next().await {
            let event = event?;
            if event.event_type == TransferEvent::TRANSFER_REQUESTED {
                self.settle(&event).await?;
                // Advanced only once the transfer is settled, so none is skipped.
                self.checkpoints.advance(Self::NAME, event.position).await?;
            }
        }
        Ok(())
    }

    /// Settles one transfer, retrying technical failures until it is done.
    async fn settle(&self, requested: &RecordedEvent) -> anyhow::Result<()> {
        let meta = CommandMeta {
            actor: Actor::System,
            correlation_id: requested.metadata.correlation_id,
            causation_id: Some(requested.id),
            command_id: Uuid::now_v7(),
            client_command_id: false,
            idempotency: None,
        };
        let mut failures = 0u64;
        loop {
            let command = Command::ProcessTransfer { transfer_id: requested.stream_id };
            match self.bus.dispatch(command, meta.clone()).await {
                Ok(_) => return Ok(()),
                Err(AppError::Unexpected(error)) => {
                    failures += 1;
                    tracing::warn!(error = format!("{error:#}"), transfer = %requested.stream_id, "cannot settle yet");
                    tokio::time::sleep(Duration::from_millis(100 * failures.min(50))).await;
                }
                Err(other) => {
                    // Business refusals are part of the flow (they fail the
                    // transfer); anything else here is a bug worth a log line.
                    tracing::error!(error = %other, transfer = %requested.stream_id, "transfer not settled");
                    return Ok(());
                }
            }
        }
    }
}
