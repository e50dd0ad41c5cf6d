//! Reading the log: one stream by version, or everything by position.

use anyhow::Context;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::application::ports::{
    EventFilter, EventMetadata, ProcessedCommand, RecordedEvent, StreamBound, StreamVersion,
};
use crate::domain::StreamType;
use crate::infrastructure::entities::event::{Column, Entity, Model};
use crate::infrastructure::entities::processed_command;

pub(super) async fn read_stream(
    db: &DatabaseConnection,
    stream_id: Uuid,
    after_version: i32,
    bound: StreamBound,
) -> anyhow::Result<Vec<RecordedEvent>> {
    let query = Entity::find().filter(Column::StreamId.eq(stream_id));
    let query = if after_version > 0 { query.filter(Column::Version.gt(after_version)) } else { query };
    let query = match bound {
        StreamBound::All => query,
        StreamBound::UpToVersion(version) => query.filter(Column::Version.lte(version)),
        StreamBound::RecordedUpTo(instant) => query.filter(Column::RecordedAt.lte(instant)),
    };
    let rows =
        query.order_by_asc(Column::Version).all(db).await.with_context(|| format!("cannot read stream {stream_id}"))?;
    to_recorded(rows)
}

pub(super) async fn read_stream_page(
    db: &DatabaseConnection,
    stream_id: Uuid,
    after_version: i32,
    limit: u64,
) -> anyhow::Result<Vec<RecordedEvent>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .filter(Column::StreamId.eq(stream_id))
        .filter(Column::Version.gt(after_version))
        .order_by_asc(Column::Version)
        .limit(sql_limit(limit))
        .all(db)
        .await
        .with_context(|| format!("cannot read stream {stream_id}"))?;
    to_recorded(rows)
}

/// The log after `after`. Appends become visible in position order (see
/// `Dialect::order_appends`), so whatever is visible after `after` is
/// everything that will ever be there up to its last position: a follower
/// reading "after the last one seen" never skips an event.
pub(super) async fn read_all<C: ConnectionTrait>(
    db: &C,
    after: i64,
    limit: u64,
    filter: &EventFilter,
) -> anyhow::Result<Vec<RecordedEvent>> {
    let Some(query) = filtered(filter) else {
        return Ok(Vec::new());
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = query
        .filter(Column::Position.gt(after))
        .order_by_asc(Column::Position)
        .limit(sql_limit(limit))
        .all(db)
        .await
        .context("cannot read the event log")?;
    to_recorded(rows)
}

pub(super) async fn count(db: &DatabaseConnection, filter: &EventFilter) -> anyhow::Result<u64> {
    let Some(query) = filtered(filter) else {
        return Ok(0);
    };
    query.count(db).await.context("cannot count events")
}

/// The committed events at `positions`, in position order.
pub(super) async fn read_at(db: &DatabaseConnection, positions: &[i64]) -> anyhow::Result<Vec<RecordedEvent>> {
    if positions.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .filter(Column::Position.is_in(positions.iter().copied()))
        .order_by_asc(Column::Position)
        .all(db)
        .await
        .context("cannot read events by position")?;
    to_recorded(rows)
}

/// The newest committed position.
pub(super) async fn head(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let newest: Option<i64> = Entity::find()
        .select_only()
        .column(Column::Position)
        .order_by_desc(Column::Position)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
        .context("cannot read the head of the log")?;
    Ok(newest.unwrap_or(0))
}

pub(super) async fn processed(db: &DatabaseConnection, command_id: Uuid) -> anyhow::Result<Option<ProcessedCommand>> {
    let row =
        processed_command::Entity::find_by_id(command_id).one(db).await.context("cannot read a processed command")?;
    row.map(|row| {
        let positions = serde_json::from_value(row.positions)
            .with_context(|| format!("processed command {command_id} has invalid positions"))?;
        let unchanged = match (row.unchanged_stream_id, row.unchanged_version) {
            (Some(stream_id), Some(version)) => Some(StreamVersion { stream_id, version }),
            _ => None,
        };
        Ok(ProcessedCommand { fingerprint: row.fingerprint, positions, unchanged })
    })
    .transpose()
}

/// The events matching `filter`, or `None` when an empty list in the filter
/// means that nothing can match (spares the database a query).
fn filtered(filter: &EventFilter) -> Option<Select<Entity>> {
    let mut condition = Condition::all();
    if let Some(ids) = &filter.stream_ids {
        if ids.is_empty() {
            return None;
        }
        condition = condition.add(Column::StreamId.is_in(ids.iter().copied()));
    }
    if let Some(types) = &filter.stream_types {
        if types.is_empty() {
            return None;
        }
        condition = condition.add(Column::StreamType.is_in(types.iter().map(|t| t.as_str())));
    }
    if let Some(types) = &filter.event_types {
        if types.is_empty() {
            return None;
        }
        condition = condition.add(Column::EventType.is_in(types.iter().map(String::as_str)));
    }
    Some(Entity::find().filter(condition))
}

fn to_recorded(rows: Vec<Model>) -> anyhow::Result<Vec<RecordedEvent>> {
    rows.into_iter().map(from_model).collect()
}

/// An `events` row as the event it records.
pub(crate) fn from_model(row: Model) -> anyhow::Result<RecordedEvent> {
    let stream_type = StreamType::parse(&row.stream_type)
        .with_context(|| format!("event {} has an unknown stream type {}", row.id, row.stream_type))?;
    let metadata: EventMetadata =
        serde_json::from_value(row.metadata).with_context(|| format!("event {} has invalid metadata", row.id))?;
    Ok(RecordedEvent {
        position: row.position,
        id: row.id,
        stream_id: row.stream_id,
        stream_type,
        version: row.version,
        event_type: row.event_type,
        schema_version: row.schema_version,
        data: row.data,
        metadata,
        recorded_at: row.recorded_at,
    })
}

/// SQL limits are signed 64-bit: a larger one ("everything") would not bind.
fn sql_limit(limit: u64) -> u64 {
    limit.min(i64::MAX as u64)
}
