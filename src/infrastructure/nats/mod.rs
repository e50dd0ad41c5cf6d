//! NATS: the JetStream stream the relay publishes every committed event to,
//! the connection, and the wake-ups between instances (core NATS). Commands
//! coming in by request/reply are an entry point of their own (`broker`).

mod broker;
mod settings;
mod stream;
mod wake;

use std::time::Duration;

use anyhow::Context;

pub use broker::JetStreamBroker;
pub use settings::{DEFAULT_DUPLICATE_WINDOW, NatsSettings};
pub use stream::{captures, ensure_stream};
pub use wake::{nats_waker, spawn_wake_listener};

/// The header that carries an event's position in the log.
pub const POSITION_HEADER: &str = "Minibank-Position";

/// Connects in the background: a broker that is down when the server starts
/// delays the relay and the wake-ups, it does not stop the server; the
/// client reconnects for as long as the process runs.
pub async fn connect(settings: &NatsSettings) -> anyhow::Result<async_nats::Client> {
    async_nats::ConnectOptions::new()
        .name("minibank")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(2))
        .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 100).min(1_000)))
        .connect(settings.url.as_str())
        .await
        .with_context(|| format!("cannot use the NATS address {}", settings.url))
}

/// The JetStream context of the relay: publish acknowledgements and API
/// requests wait at most a few seconds, so a broker outage ends a session
/// soon and the relay resumes when it is back.
pub fn jetstream(client: async_nats::Client) -> async_nats::jetstream::Context {
    async_nats::jetstream::context::ContextBuilder::new().timeout(Duration::from_secs(5)).build(client)
}
