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
    Commit, CommitError, IdempotencyKey, NewEvent, ProcessedCommand, RecordedEvent, StreamAppend, UniqueClaim,
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
    // Checked before anything is written, so that a stale writer gives up
    // without holding anybody up; a writer that passes the check and still
    // loses the race meets the unique (stream, version) index. An append
    // without events (a command that changed nothing, keeping its idempotency
    // record) has nothing to meet it; a writer that commits on its stream
    // meanwhile merely comes after it, a fine order for a decision that
    // changed nothing.
    for append in &commit.appends {
        check_version(&txn, append).await?;
    }
    // A commit without events draws no positions, so it needs no turn.
    let has_events = commit.appends.iter().any(|append| !append.events.is_empty());
    let recorded = if has_events && txn.get_database_backend() == DbBackend::Postgres {
        enter_position_order(&txn).await?;
        let inserted = insert_events(&txn, &commit).await;
        leave_position_order(&txn, inserted.is_ok()).await?;
        inserted?
    } else {
        insert_events(&txn, &commit).await?
    };
    // After the events: on PostgreSQL the first write of a transaction with
    // events must be inside the position order section (see there).
    for claim in &commit.claims {
        insert_claim(&txn, claim).await?;
    }
    project(&txn, projections, Target::Live, &recorded).await?;
    if let Some(key) = &commit.idempotency {
        let recorded_at = recorded.first().map_or_else(Utc::now, |e| e.recorded_at);
        record_processed(&txn, key, ProcessedCommand::of(key, &commit, &recorded), recorded_at).await?;
    }
    txn.commit().await.context("cannot commit the transaction")?;
    Ok(recorded)
}

/// Keeps the idempotency key with what it recorded. A key that committed
/// first (a concurrent repeat) makes this whole commit roll back.
async fn record_processed(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    done: ProcessedCommand,
    at: chrono::DateTime<Utc>,
) -> Result<(), CommitError> {
    let row = processed_command::ActiveModel {
        command_id: Set(key.command_id),
        fingerprint: Set(done.fingerprint),
        positions: Set(serde_json::json!(done.positions)),
        processed_at: Set(at),
        unchanged_stream_id: Set(done.unchanged.map(|u| u.stream_id)),
        unchanged_version: Set(done.unchanged.map(|u| u.version)),
    };
    match processed_command::Entity::insert(row).exec_without_returning(txn).await {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => Err(CommitError::AlreadyProcessed),
        Err(err) => Err(store_error(err, "cannot record the processed command".to_string())),
    }
}

/// Key of the PostgreSQL advisory lock that orders appends ("mbevents").
pub(super) const POSITION_ORDER_LOCK: i64 = 0x6d62_6576_656e_7473;

/// Enters the section, on PostgreSQL, in which a commit's transaction gets
/// its id and its events their positions; and tells the other instances that
/// the log grows.
///
/// Positions come from a sequence, but a row becomes visible only when its
/// transaction commits, and transactions commit in any order: a reader asking
/// for "after P" could skip an event that commits late with a smaller
/// position. Writers therefore take turns (a session-level advisory lock)
/// from their first write, which assigns the transaction id, through the
/// event inserts, which draw the positions; so transaction ids and positions
/// grow together. Readers then take only events whose transaction id is below
/// every transaction of this database still running (see `read::settled`):
/// every smaller position belongs to a transaction that has finished, so it is
/// visible or rolled back for good, and following the log with `position > P`
/// is exact.
/// The section ends before the commit, so commits (and their WAL flushes) run
/// side by side and PostgreSQL can group them; an earlier version held a
/// transaction-level lock through the commit, which made writers queue for
/// every flush in turn.
///
/// A savepoint makes the section's end reliable: whatever the inserts did,
/// the transaction can still release the lock (a session lock would outlive
/// the transaction on a pooled connection). The notification rides along;
/// PostgreSQL delivers it only if and when the transaction commits, and
/// listeners read the events from the store (the payload is empty).
async fn enter_position_order(txn: &DatabaseTransaction) -> Result<(), CommitError> {
    let channel = crate::infrastructure::notifications::CHANNEL;
    let sql =
        format!("SELECT pg_notify('{channel}', ''), pg_advisory_lock({POSITION_ORDER_LOCK}); SAVEPOINT position_order");
    txn.execute_unprepared(&sql).await.context("cannot take the position order lock")?;
    Ok(())
}

/// Leaves the section: keeps the inserts (or undoes them when they failed,
/// so that the transaction accepts the unlock) and lets the next writer in.
async fn leave_position_order(txn: &DatabaseTransaction, inserted: bool) -> Result<(), CommitError> {
    let end = if inserted { "RELEASE SAVEPOINT position_order" } else { "ROLLBACK TO SAVEPOINT position_order" };
    let sql = format!("{end}; SELECT pg_advisory_unlock({POSITION_ORDER_LOCK})");
    txn.execute_unprepared(&sql).await.context("cannot release the position order lock")?;
    Ok(())
}

/// Inserts every event of the commit, each at the version after the last.
async fn insert_events(txn: &DatabaseTransaction, commit: &Commit) -> Result<Vec<RecordedEvent>, CommitError> {
    // Microseconds: what PostgreSQL keeps, so the value returned here is the
    // value read back later on either backend.
    let recorded_at = Utc::now().trunc_subsecs(6);
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
            recorded.push(insert_event(txn, append, new, event).await?);
        }
    }
    Ok(recorded)
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
