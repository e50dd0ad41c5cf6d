//! The same page of several accounts' own event streams, in one statement:
//! the `events` of each account of a list (oldest first, by stream version).

use std::collections::HashMap;

use anyhow::Context;
use sea_orm::sea_query::Order;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::per_parent::first_per_parent;
use super::rows::RowSource;
use crate::application::ports::RecordedEvent;
use crate::infrastructure::entities::event::{Column, Entity, Model};
use crate::infrastructure::event_store::recorded_event;

/// Up to `limit` events of each stream after `after_version`.
pub async fn stream_pages(
    rows: &RowSource,
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
    let query = if stream_ids.len() == 1 {
        // One stream: the plain keyset query, cheaper than ranking.
        Entity::find().filter(condition).order_by_asc(Column::Version).limit(limit).into_query()
    } else {
        first_per_parent::<Entity>(condition, Column::StreamId, (Column::Version, Order::Asc), limit, false)
    };
    for row in rows.all::<Model>(&query).await.context("cannot read the streams of accounts")? {
        pages.entry(row.stream_id).or_default().push(recorded_event(row)?);
    }
    Ok(pages)
}
