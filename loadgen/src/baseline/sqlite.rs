//! The deposit on SQLite: `BEGIN IMMEDIATE` takes the write lock up front.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use uuid::Uuid;

use super::event;

/// Same pragmas as the server's connections (`full_sync`: the server's
/// default `synchronous=FULL`, else `NORMAL`).
pub async fn connect(url: &str, connections: u32, full_sync: bool) -> anyhow::Result<SqlitePool> {
    let synchronous = if full_sync { SqliteSynchronous::Full } else { SqliteSynchronous::Normal };
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("bad SQLite URL {url}"))?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_secs(5))
        .create_if_missing(false);
    SqlitePoolOptions::new()
        .max_connections(connections.max(1))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open {url}"))
}

pub async fn deposit(pool: &SqlitePool, account: Uuid, cents: i64) -> anyhow::Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.context("cannot begin")?;
    let (balance, version): (i64, i32) = sqlx::query_as("SELECT balance_cents, version FROM accounts WHERE id = ?1")
        .bind(account)
        .fetch_one(&mut *tx)
        .await
        .context("cannot read the account")?;
    let balance_after = balance + cents;
    let version = version + 1;
    let now = Utc::now().trunc_subsecs(6);
    let position: i64 = sqlx::query_scalar(
        "INSERT INTO events (id, stream_id, stream_type, version, event_type, schema_version, \
         data, metadata, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING position",
    )
    .bind(Uuid::now_v7())
    .bind(account)
    .bind(event::STREAM_TYPE)
    .bind(version)
    .bind(event::EVENT_TYPE)
    .bind(event::SCHEMA_VERSION)
    .bind(Json(event::data(cents, balance_after)))
    .bind(Json(event::metadata()))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .context("cannot append the event")?;
    sqlx::query(
        "UPDATE accounts SET balance_cents = ?1, version = ?2, updated_at = ?3, last_position = ?4 \
         WHERE id = ?5",
    )
    .bind(balance_after)
    .bind(version)
    .bind(now)
    .bind(position)
    .bind(account)
    .execute(&mut *tx)
    .await
    .context("cannot update the account")?;
    tx.commit().await.context("cannot commit")?;
    Ok(())
}
