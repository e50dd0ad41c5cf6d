//! Which instance relays the events when several share one PostgreSQL
//! database: the one holding a session-level advisory lock on a connection
//! of its own. PostgreSQL releases the lock when that connection ends — the
//! process died, was killed, or lost the network — so another instance,
//! retrying every `retry` interval, takes over within about that long.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{self, Connection};

use crate::application::relay::{HeldLease, RelayLease};

pub struct PgAdvisoryLease {
    database_url: String,
    key: i64,
    retry: Duration,
}

impl PgAdvisoryLease {
    /// One lease per `name` (the stream the relay publishes to).
    pub fn new(database_url: impl Into<String>, name: &str, retry: Duration) -> Self {
        PgAdvisoryLease { database_url: database_url.into(), key: lock_key(name), retry }
    }
}

/// A stable 64-bit key for `name` (FNV-1a), in a namespace of its own.
fn lock_key(name: &str) -> i64 {
    let hash = format!("minibank relay {name}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes(hash.to_ne_bytes())
}

struct PgHeld {
    connection: PgConnection,
    check_every: Duration,
}

#[async_trait]
impl RelayLease for PgAdvisoryLease {
    async fn acquire(&self) -> anyhow::Result<Box<dyn HeldLease>> {
        let mut connection: Option<PgConnection> = None;
        let mut standing_by = false;
        loop {
            match self.try_lock(&mut connection).await {
                Ok(true) => {
                    let connection = connection.take().context("the lease's connection vanished")?;
                    return Ok(Box::new(PgHeld { connection, check_every: self.retry }));
                }
                Ok(false) if !standing_by => {
                    tracing::info!("another instance relays the events to NATS; this one stands by");
                    standing_by = true;
                }
                Ok(false) => {}
                Err(error) => {
                    connection = None;
                    tracing::warn!(error = format!("{error:#}"), "cannot try the relay's lease; retrying");
                }
            }
            tokio::time::sleep(self.retry).await;
        }
    }
}

impl PgAdvisoryLease {
    async fn try_lock(&self, connection: &mut Option<PgConnection>) -> anyhow::Result<bool> {
        if connection.is_none() {
            *connection = Some(PgConnection::connect(&self.database_url).await.context("cannot connect")?);
        }
        let Some(connection) = connection.as_mut() else {
            anyhow::bail!("no connection");
        };
        let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(self.key)
            .fetch_one(connection)
            .await
            .context("pg_try_advisory_lock failed")?;
        Ok(locked)
    }
}

#[async_trait]
impl HeldLease for PgHeld {
    async fn lost(&mut self) {
        loop {
            tokio::time::sleep(self.check_every).await;
            match tokio::time::timeout(Duration::from_secs(5), self.connection.ping()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "the relay's lease connection failed");
                    return;
                }
                Err(_) => {
                    tracing::warn!("the relay's lease connection stopped answering");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_stream_has_its_own_stable_lock() {
        assert_eq!(super::lock_key("MINIBANK_EVENTS"), super::lock_key("MINIBANK_EVENTS"));
        assert_ne!(super::lock_key("MINIBANK_EVENTS"), super::lock_key("OTHER"));
    }
}
