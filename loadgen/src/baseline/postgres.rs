//! The deposit on PostgreSQL: the account row is locked with `FOR UPDATE`.

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use sqlx::types::Json;
use uuid::Uuid;

use super::event;

pub async fn connect(url: &str, connections: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new().max_connections(connections.max(1)).connect(url).await.context("cannot connect to PostgreSQL")
}

/// The key of minibank's position-order advisory lock (see its event store).
const POSITION_ORDER_LOCK: i64 = 0x6d62_6576_656e_7473;

/// `ordered`: take minibank's position-order lock before the insert and hold
/// it through the commit, as its store once did, to measure what ordering by
/// taking turns through the commit costs (the store now takes turns only for
/// its event inserts).
pub async fn deposit(pool: &PgPool, account: Uuid, cents: i64, ordered: bool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let (balance, version): (i64, i32) =
        sqlx::query_as("SELECT balance_cents, version FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(account)
            .fetch_one(&mut *tx)
            .await
            .context("cannot lock the account")?;
    let balance_after = balance + cents;
    let version = version + 1;
    let now = Utc::now().trunc_subsecs(6);
    if ordered {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(POSITION_ORDER_LOCK)
            .execute(&mut *tx)
            .await
            .context("cannot take the order lock")?;
    }
    let position: i64 = sqlx::query_scalar(
        "INSERT INTO events (id, stream_id, stream_type, version, event_type, schema_version, \
         data, metadata, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING position",
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
        "UPDATE accounts SET balance_cents = $1, version = $2, updated_at = $3, last_position = $4 \
         WHERE id = $5",
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
