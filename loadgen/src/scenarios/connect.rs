//! Opening thousands of websocket connections: a few at a time, each signed
//! in with its own token and subscribed before the next batch starts.

use anyhow::Context;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::Value;

use crate::ws::Connection;

/// Connections opened at once: more makes the server's accept queue and the
/// tool's handshakes time out on a busy machine.
const OPENING_AT_ONCE: usize = 64;

/// One subscription to send on a connection.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub query: String,
    pub variables: Value,
}

/// One connection to open: whose token it carries and what it subscribes to.
#[derive(Debug, Clone)]
pub struct Planned<T> {
    pub token: String,
    pub subscriptions: Vec<Subscription>,
    /// What the caller wants back beside the connection.
    pub tag: T,
}

/// Opens every planned connection (`OPENING_AT_ONCE` at a time) and sends
/// its subscribe messages; returns once all are sent, in no particular order.
pub async fn open_all<T: Send>(url: &str, planned: Vec<Planned<T>>) -> anyhow::Result<Vec<(Connection, T)>> {
    stream::iter(planned)
        .map(|plan| async move {
            let mut connection = Connection::open(url, &plan.token).await?;
            for subscription in &plan.subscriptions {
                connection.subscribe(&subscription.id, &subscription.query, subscription.variables.clone()).await?;
            }
            anyhow::Ok((connection, plan.tag))
        })
        .buffer_unordered(OPENING_AT_ONCE)
        .try_collect()
        .await
        .context("cannot open the subscribers")
}
