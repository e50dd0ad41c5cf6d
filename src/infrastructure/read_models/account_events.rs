//! The same page of several accounts' own event streams, in one statement:
//! the `events` of each account of a list (oldest first, by stream version).

use std::collections::HashMap;

use anyhow::Context;
use sea_orm::sea_query::Order;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::per_parent::first_per_parent;
use crate::application::ports::{EventMetadata, RecordedEvent};
use crate::domain::StreamType;
use crate::infrastructure::entities::event::{Column, Entity, Model};

/// Up to `limit` events of each stream after `after_version`.
pub async fn stream_pages(
    db: &DatabaseConnection,
    stream_ids: &[Uuid],
    after_version: i32,
    limit: u64,
) -> anyhow::Result<HashMap<Uuid, Vec<RecordedEvent>>> {
    let mut pages: HashMap<Uuid, Vec<RecordedEvent>> = stream_ids.iter().map(|id| (*id, Vec::new())).collect();
    if stream_ids.is_empty() || limit == 0 {
        return Ok(pages);
    }
    let condition =
        Condition::all().add(Column::StreamId.is_in(stream_ids.iter().copied())).add(Column::Version.gt(after_version));
    let rows = if stream_ids.len() == 1 {
        // One stream: the plain keyset query, cheaper than ranking.
        Entity::find().filter(condition).order_by_asc(Column::Version).limit(limit).all(db).await
    } else {
        first_per_parent::<Entity, _>(db, condition, Column::StreamId, (Column::Version, Order::Asc), limit).await
    }
    .context("cannot read the streams of accounts")?;
    for row in rows {
        pages.entry(row.stream_id).or_default().push(recorded(row)?);
    }
    Ok(pages)
}

fn recorded(row: Model) -> anyhow::Result<RecordedEvent> {
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
