//! Gauges: those that follow the server's own objects (open websockets, live
//! subscriptions) move as they come and go; those read from elsewhere (how
//! far the log's readers trail it, database pools) are read at each scrape.

use std::fmt;
use std::sync::Arc;

use metrics::Gauge;

use super::catalog::{
    FOLLOWER_LAG, LIVE_FEED_LAG, LIVE_FOLLOWED_STREAMS, LIVE_SUBSCRIPTIONS, LOG_HEAD, WEBSOCKET_CONNECTIONS,
};
use crate::application::AppContext;

/// Counts one open thing for as long as it is held.
pub struct Open(Gauge);

impl Open {
    pub fn websocket() -> Self {
        Self::counting(metrics::gauge!(WEBSOCKET_CONNECTIONS))
    }

    pub fn subscription() -> Self {
        Self::counting(metrics::gauge!(LIVE_SUBSCRIPTIONS))
    }

    fn counting(gauge: Gauge) -> Self {
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Sets gauges from something only the composition root knows (the
/// database pools), when `/metrics` is scraped.
#[derive(Clone, Default)]
pub struct Samplers(Vec<Arc<dyn Fn() + Send + Sync>>);

impl Samplers {
    pub fn new(samplers: Vec<Arc<dyn Fn() + Send + Sync>>) -> Self {
        Self(samplers)
    }

    pub fn sample(&self) {
        self.0.iter().for_each(|sample| sample());
    }
}

impl fmt::Debug for Samplers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Samplers({})", self.0.len())
    }
}

/// How far the live feed and each checkpointed reader trail the log. A
/// database that does not answer leaves the last values and is logged: the
/// scrape itself still succeeds.
pub async fn sample_lag(ctx: &AppContext) {
    let head = match ctx.store.head().await {
        Ok(head) => head,
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "metrics: cannot read the log's head");
            return;
        }
    };
    metrics::gauge!(LOG_HEAD).set(head as f64);
    metrics::gauge!(LIVE_FEED_LAG).set((head - ctx.feed.head()).max(0) as f64);
    metrics::gauge!(LIVE_FOLLOWED_STREAMS).set(ctx.feed.followed_streams() as f64);
    match ctx.checkpoints.all().await {
        Ok(checkpoints) => {
            for checkpoint in checkpoints.iter().filter(|checkpoint| !checkpoint.inline) {
                let lag = (head - checkpoint.position).max(0) as f64;
                metrics::gauge!(FOLLOWER_LAG, "follower" => checkpoint.name.clone()).set(lag);
            }
        }
        Err(error) => tracing::warn!(error = format!("{error:#}"), "metrics: cannot read the checkpoints"),
    }
}
