//! The only task that writes to the socket: it sends what the connection and
//! its operations queue, and a Ping frame every `ping_interval`.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// Runs until the queue closes, a close frame is sent, or the socket fails.
pub async fn run(mut sink: SplitSink<WebSocket, Message>, mut queue: mpsc::Receiver<Message>, ping_interval: Duration) {
    let mut ping = interval_at(Instant::now() + ping_interval, ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        // Pings first: a busy subscription must not starve them, or a healthy
        // but silent client would never pong and be taken for dead.
        let message = tokio::select! {
            biased;
            _ = ping.tick() => Message::Ping(Default::default()),
            queued = queue.recv() => match queued {
                Some(message) => message,
                None => break,
            },
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
}
