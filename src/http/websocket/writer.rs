//! The only task that writes to the socket: it sends what the connection and
//! its operations queue, and a Ping frame every `ping_interval`.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

use super::frame::Frame;

/// Messages gathered into one write when several are queued: a connection
/// that fell behind catches up with fewer system calls.
const BATCH: usize = 32;

/// Runs until the queue closes, a close frame is sent, or the socket fails.
pub async fn run(mut sink: SplitSink<WebSocket, Message>, mut queue: mpsc::Receiver<Frame>, ping_interval: Duration) {
    let mut ping = interval_at(Instant::now() + ping_interval, ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        // Pings first: a busy subscription must not starve them, or a healthy
        // but silent client would never pong and be taken for dead.
        let message = tokio::select! {
            biased;
            _ = ping.tick() => Message::Ping(Default::default()),
            queued = queue.recv() => match queued {
                Some(frame) => frame.into_message(),
                None => break,
            },
        };
        let mut closing = matches!(message, Message::Close(_));
        if sink.feed(message).await.is_err() {
            break;
        }
        let mut batched = 1;
        while !closing && batched < BATCH {
            let Ok(frame) = queue.try_recv() else { break };
            let message = frame.into_message();
            closing = matches!(message, Message::Close(_));
            if sink.feed(message).await.is_err() {
                return;
            }
            batched += 1;
        }
        if sink.flush().await.is_err() || closing {
            break;
        }
    }
}
