use anyhow::Context;
use async_nats::jetstream::{self, message::PublishMessage};
use async_trait::async_trait;

use super::{NatsSettings, POSITION_HEADER, ensure_stream};
use crate::application::ports::RecordedEvent;
use crate::application::relay::{BrokerSession, EventBroker, IntegrationEvent, Pending};

/// The relay's JetStream stream. Each publish names the stream sequence it
/// must follow (`Nats-Expected-Last-Sequence`): if one is lost (a broker
/// restart cuts the connection), every later one is refused too instead of
/// being stored ahead of it, and the relay resumes from the stream's end.
pub struct JetStreamBroker {
    js: jetstream::Context,
    settings: NatsSettings,
}

impl JetStreamBroker {
    pub fn new(js: jetstream::Context, settings: NatsSettings) -> Self {
        JetStreamBroker { js, settings }
    }
}

struct Session {
    js: jetstream::Context,
    stream: String,
    prefix: String,
    /// The stream's sequence after the last event sent.
    last_sequence: u64,
    last_position: Option<i64>,
}

#[async_trait]
impl EventBroker for JetStreamBroker {
    async fn open(&self) -> anyhow::Result<Box<dyn BrokerSession>> {
        let mut stream = ensure_stream(&self.js, &self.settings).await?;
        let last_sequence = stream.info().await.context("cannot read the NATS stream's state")?.state.last_sequence;
        let last_position = if last_sequence == 0 {
            // A new stream: everything is still to be published.
            Some(0)
        } else {
            // Absent when the last message is gone (expired, deleted):
            // the relay then resumes from its checkpoint.
            match stream.get_raw_message(last_sequence).await {
                Ok(message) => {
                    message.headers.get(POSITION_HEADER).and_then(|value| value.as_str().parse::<i64>().ok())
                }
                Err(error) => {
                    tracing::warn!(%error, last_sequence, "cannot read the NATS stream's last event");
                    None
                }
            }
        };
        Ok(Box::new(Session {
            js: self.js.clone(),
            stream: self.settings.stream.clone(),
            prefix: self.settings.subject_prefix.clone(),
            last_sequence,
            last_position,
        }))
    }
}

#[async_trait]
impl BrokerSession for Session {
    fn last_position(&self) -> Option<i64> {
        self.last_position
    }

    async fn send(&mut self, event: &RecordedEvent) -> anyhow::Result<Pending> {
        let body = serde_json::to_vec(&IntegrationEvent::from(event))?;
        let subject =
            format!("{}.events.{}.{}", self.prefix, event.stream_type.as_str().to_ascii_lowercase(), event.event_type);
        let mut message = PublishMessage::build()
            .payload(body.into())
            .message_id(event.id.to_string())
            .header(POSITION_HEADER, event.position.to_string())
            .expected_stream(&self.stream);
        if self.last_sequence > 0 {
            message = message.expected_last_sequence(self.last_sequence);
        }
        let ack = self.js.send_publish(subject, message).await?;
        self.last_sequence += 1;
        let (expected, position) = (self.last_sequence, event.position);
        Ok(Box::pin(async move {
            let ack = ack.await?;
            if ack.duplicate {
                anyhow::bail!(
                    "the stream already held event {position} (sequence {}): another instance may be publishing",
                    ack.sequence
                );
            }
            if ack.sequence != expected {
                anyhow::bail!("event {position} was stored at sequence {}, not {expected}", ack.sequence);
            }
            Ok(())
        }))
    }
}
