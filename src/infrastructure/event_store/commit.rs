//! Appending: claims, version checks, inserts and inline projections in one
//! database transaction.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::{SubsecRound, Utc};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Set, SqlErr,
};

use crate::application::ports::{
    Commit, CommitError, IdempotencyKey, NewEvent, RecordedEvent, StreamAppend, UniqueClaim,
};
use crate::infrastructure::entities::{event, processed_command, unique_claim};
use crate::infrastructure::projections::{Projection, Target, project};
use crate::infrastructure::transactions::begin_write;

pub(super) async fn commit(
    db: &DatabaseConnection,
    projections: &[Arc<dyn Projection>],
    commit: Commit,
) -> Result<Vec<RecordedEvent>, CommitError> {
    let txn = begin_write(db).await?;
    for claim in &commit.claims {
        insert_claim(&txn, claim).await?;
    }
    // Checked before the position order lock, so that a stale writer gives
    // up without making the others wait; a writer that passes the check and
    // still loses the race meets the unique (stream, version) index.
    for append in &commit.appends {
        check_version(&txn, append).await?;
    }
    // Microseconds: what PostgreSQL keeps, so the value returned here is the
    // value read back later on either backend.
    let recorded_at = Utc::now().trunc_subsecs(6);
    if txn.get_database_backend() == DbBackend::Postgres {
        lock_position_order_and_notify(&txn).await?;
    }
    let mut recorded = Vec::new();
    for append in &commit.appends {
        for (version, new) in (append.expected_version + 1..).zip(&append.events) {
            let event = RecordedEvent {
                position: 0,
                id: new.id,
                stream_id: append.stream_id,
                stream_type: append.stream_type,
                version,
                event_type: new.event_type.clone(),
                schema_version: new.schema_version,
                data: new.data.clone(),
                metadata: new.metadata.clone(),
                recorded_at,
            };
            recorded.push(insert_event(&txn, append, new, event).await?);
        }
    }
    project(&txn, projections, Target::Live, &recorded).await?;
    if let Some(key) = &commit.idempotency {
        record_processed(&txn, key, &recorded, recorded_at).await?;
    }
    txn.commit().await.context("cannot commit the transaction")?;
    Ok(recorded)
}

/// Keeps the idempotency key with what it recorded. A key that committed
/// first (a concurrent repeat) makes this whole commit roll back.
async fn record_processed(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    recorded: &[RecordedEvent],
    at: chrono::DateTime<Utc>,
) -> Result<(), CommitError> {
    let positions: Vec<i64> = recorded.iter().map(|e| e.position).collect();
    let row = processed_command::ActiveModel {
        command_id: Set(key.command_id),
        fingerprint: Set(key.fingerprint.clone()),
        positions: Set(serde_json::json!(positions)),
        processed_at: Set(at),
    };
    match processed_command::Entity::insert(row).exec_without_returning(txn).await {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => Err(CommitError::AlreadyProcessed),
        Err(err) => Err(store_error(err, "cannot record the processed command".to_string())),
    }
}

/// Key of the PostgreSQL advisory lock that orders appends ("mbevents").
pub(crate) const POSITION_ORDER_LOCK: i64 = 0x6d62_6576_656e_7473;

/// Makes positions become visible in position order on PostgreSQL, and
/// tells the other instances that the log grew.
///
/// Positions come from a sequence when a row is inserted, but a row becomes
/// visible only when its transaction commits: two writers can commit out of
/// position order, and a reader asking for "after P" would then skip the
/// event that commits late. Holding this transaction-scoped lock from the
/// first insert to the commit (PostgreSQL releases it only once the commit is
/// visible) means that every position below a visible one is visible too, or
/// was rolled back and will never appear. Readers can then follow the log with
/// a plain `position > P`, exactly and with no timeout. The price is that
/// appends on PostgreSQL take turns from their first event insert to their
/// commit, so everything that can happen before (claims, version checks) does,
/// and what follows is kept to a few statements; SQLite has a single writer
/// anyway.
///
/// The notification rides in the same round trip. PostgreSQL delivers it
/// only if and when this transaction commits; listeners then read the events
/// from the store (the payload is empty).
async fn lock_position_order_and_notify(txn: &DatabaseTransaction) -> Result<(), CommitError> {
    let channel = crate::infrastructure::notifications::CHANNEL;
    let sql = format!("SELECT pg_notify('{channel}', ''), pg_advisory_xact_lock({POSITION_ORDER_LOCK})");
    txn.execute_unprepared(&sql).await.context("cannot take the position order lock")?;
    Ok(())
}

/// A claim is inserted on its own so a unique violation names its scope.
async fn insert_claim(txn: &DatabaseTransaction, claim: &UniqueClaim) -> Result<(), CommitError> {
    let row = unique_claim::ActiveModel {
        scope: Set(claim.scope.to_owned()),
        value: Set(claim.value.clone()),
        owner_id: Set(claim.owner_id),
    };
    match unique_claim::Entity::insert(row).exec_without_returning(txn).await {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => Err(CommitError::AlreadyClaimed { scope: claim.scope }),
        Err(err) => Err(store_error(err, format!("cannot claim a {}", claim.scope))),
    }
}

/// Refuses the append unless the stream is still at the expected version.
async fn check_version(txn: &DatabaseTransaction, append: &StreamAppend) -> Result<(), CommitError> {
    let current: Option<Option<i32>> = event::Entity::find()
        .select_only()
        .column_as(event::Column::Version.max(), "current")
        .filter(event::Column::StreamId.eq(append.stream_id))
        .into_tuple()
        .one(txn)
        .await
        .with_context(|| format!("cannot read the version of stream {}", append.stream_id))?;
    if current.flatten().unwrap_or(0) == append.expected_version { Ok(()) } else { Err(conflict(append)) }
}

/// Inserts one event and fills in the position the database assigned.
///
/// A unique violation means another writer appended the same version first
/// (this is how the loser of a race finds out on PostgreSQL, where both may
/// pass the version check) or the event id was committed already: a conflict.
async fn insert_event(
    txn: &DatabaseTransaction,
    append: &StreamAppend,
    new: &NewEvent,
    mut event: RecordedEvent,
) -> Result<RecordedEvent, CommitError> {
    let metadata = serde_json::to_value(&new.metadata).context("cannot serialize metadata")?;
    let row = event::ActiveModel {
        position: NotSet,
        id: Set(event.id),
        stream_id: Set(event.stream_id),
        stream_type: Set(event.stream_type.as_str().to_owned()),
        version: Set(event.version),
        event_type: Set(event.event_type.clone()),
        schema_version: Set(event.schema_version),
        data: Set(event.data.clone()),
        metadata: Set(metadata),
        recorded_at: Set(event.recorded_at),
    };
    match event::Entity::insert(row).exec(txn).await {
        Ok(inserted) => {
            event.position = inserted.last_insert_id;
            Ok(event)
        }
        Err(err) if is_unique_violation(&err) => Err(conflict(append)),
        Err(err) => Err(store_error(err, format!("cannot append to stream {}", append.stream_id))),
    }
}

fn conflict(append: &StreamAppend) -> CommitError {
    CommitError::Conflict { stream_id: append.stream_id, expected_version: append.expected_version }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn store_error(err: DbErr, context: String) -> CommitError {
    CommitError::Store(anyhow!(err).context(context))
}
