//! Fan-out between instances on PostgreSQL: every commit NOTIFYs, every
//! instance LISTENs and wakes its live feed, which then reads the events from
//! the store. A lost notification only delays an event until the feed's next
//! poll; it can never lose one.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio::task::JoinHandle;

use crate::application::live::LiveFeed;

/// The channel commits notify on (with an empty payload).
pub const CHANNEL: &str = "minibank_events";

/// Listens for as long as the process runs, reconnecting with backoff.
pub fn spawn_listener(database_url: String, feed: Arc<LiveFeed>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            if let Err(error) = listen(&database_url, &feed, &mut failures).await {
                failures += 1;
                tracing::warn!(error = format!("{error:#}"), failures, "cannot listen for new events; retrying");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25)))).await;
            }
        }
    })
}

async fn listen(database_url: &str, feed: &LiveFeed, failures: &mut u32) -> anyhow::Result<()> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    *failures = 0;
    // Whatever committed while we were not listening.
    feed.wake();
    loop {
        // `None` means the connection was lost and is being re-established:
        // catch up on anything missed meanwhile.
        listener.try_recv().await?;
        feed.wake();
    }
}
