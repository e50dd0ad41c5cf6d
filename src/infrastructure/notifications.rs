//! Fan-out between instances on PostgreSQL: after commits, an instance sends
//! one NOTIFY, outside any write transaction and coalesced (a NOTIFY inside
//! one would take PostgreSQL's global notify lock at commit, which makes
//! every committing transaction wait for the one before it to flush). Every
//! instance LISTENs and wakes its live feed, which then reads the events from
//! the store. A lost notification only delays an event until the feed's next
//! poll; it can never lose one.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::application::live::{CoalescedSignal, LiveFeed};

/// The channel instances notify on; the payload names the sender, so that an
/// instance skips its own notifications (its feed has those events already).
pub const CHANNEL: &str = "minibank_events";

/// Tells the other instances that the log grew: one NOTIFY for however many
/// commits happened while the previous one was being sent.
pub fn postgres_waker(db: DatabaseConnection, instance: Uuid) -> CoalescedSignal {
    let sql = format!("SELECT pg_notify('{CHANNEL}', '{instance}')");
    CoalescedSignal::spawn("other instances (PostgreSQL NOTIFY)", move || {
        let (db, sql) = (db.clone(), sql.clone());
        async move {
            if let Err(error) = db.execute_unprepared(&sql).await {
                tracing::warn!(error = format!("{error:#}"), "cannot notify the other instances");
            }
        }
    })
}

/// Listens for as long as the process runs, reconnecting with backoff; wakes
/// the feed for every other instance's notification.
pub fn spawn_listener(database_url: String, instance: Uuid, feed: Arc<LiveFeed>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            if let Err(error) = listen(&database_url, instance, &feed, &mut failures).await {
                failures += 1;
                tracing::warn!(error = format!("{error:#}"), failures, "cannot listen for new events; retrying");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25)))).await;
            }
        }
    })
}

async fn listen(database_url: &str, instance: Uuid, feed: &LiveFeed, failures: &mut u32) -> anyhow::Result<()> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    *failures = 0;
    // Whatever committed while we were not listening.
    feed.wake();
    let own = instance.to_string();
    loop {
        // `None` means the connection was lost and is being re-established:
        // catch up on anything missed meanwhile.
        match listener.try_recv().await? {
            Some(notification) if notification.payload() == own => {}
            _ => feed.wake(),
        }
    }
}
