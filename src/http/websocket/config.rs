//! Timeouts and limits of one websocket connection.

use std::time::Duration;

use tokio::sync::watch;

use super::shared::SharedSubscriptions;

#[derive(Debug, Clone)]
pub struct WsConfig {
    /// A client that has not sent `connection_init` by then is closed with
    /// 4408: an unauthenticated socket must not hold resources for long.
    pub init_timeout: Duration,
    /// The server sends a WebSocket Ping frame this often. Browsers answer by
    /// themselves, and the traffic keeps proxies (often 60 s idle) from
    /// dropping quiet connections.
    pub ping_interval: Duration,
    /// A peer from which nothing at all (pongs included) arrives for this long
    /// is dead: the connection is dropped.
    pub idle_timeout: Duration,
    /// How often the legacy `graphql-ws` protocol sends `ka`; its clients
    /// watch for it to detect dead servers.
    pub legacy_keepalive: Duration,
    /// Live operations allowed per connection; more are refused one by one.
    pub max_subscriptions: usize,
    /// A connection initialised without a token that runs no operation for
    /// this long is closed with 4401: nothing a subscription offers is open
    /// to anonymous callers, so such a socket only holds resources.
    pub anonymous_idle_timeout: Duration,
    /// Fires when the server shuts down: every connection then completes its
    /// operations and closes with 1001.
    pub going_away: GoingAway,
    /// The server's shared subscription evaluations; every connection of
    /// one server holds the same (clones share it).
    pub shared: SharedSubscriptions,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
            legacy_keepalive: Duration::from_secs(15),
            max_subscriptions: 32,
            anonymous_idle_timeout: Duration::from_secs(10),
            going_away: GoingAway::never(),
            shared: SharedSubscriptions::default(),
        }
    }
}

/// The server's announcement that it is shutting down, as each connection
/// holds it. The server also learns from it when every connection is gone:
/// `watch::Sender::closed` resolves once the last holder is dropped.
#[derive(Debug, Clone)]
pub struct GoingAway(watch::Receiver<bool>);

impl GoingAway {
    /// The sender announces the shutdown (`send(true)`); the receiver goes to
    /// the connections.
    pub fn channel() -> (watch::Sender<bool>, Self) {
        let (sender, receiver) = watch::channel(false);
        (sender, Self(receiver))
    }

    /// A signal that never fires (a server with no shutdown of its own).
    pub fn never() -> Self {
        Self(watch::channel(false).1)
    }

    /// Resolves once the shutdown is announced; never, if it cannot be.
    pub async fn announced(&mut self) {
        if self.0.wait_for(|going| *going).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
