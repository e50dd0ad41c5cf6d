//! Per-projection checkpoints: how far into the log a read model is built.

use anyhow::Context;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::target::SHADOW_SUFFIX;
use crate::application::ports::Checkpoint;
use crate::application::process::TransferProcess;

use crate::infrastructure::entities::projection_checkpoint::{ActiveModel, Column, Entity};

/// Moves the checkpoint of `name` to `position` unless it is already further.
///
/// Two statements instead of one `ON CONFLICT … DO UPDATE` with a `CASE`,
/// because the insert-or-ignore plus a guarded update reads the same and is
/// plainly portable; never moving backwards keeps replays harmless.
pub async fn advance_checkpoint<C: ConnectionTrait>(txn: &C, name: &str, position: i64) -> anyhow::Result<()> {
    Entity::insert(ActiveModel { name: Set(name.to_owned()), position: Set(position) })
        .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await
        .with_context(|| format!("cannot create the checkpoint of projection {name}"))?;
    Entity::update_many()
        .col_expr(Column::Position, Expr::value(position))
        .filter(Column::Name.eq(name))
        .filter(Column::Position.lt(position))
        .exec(txn)
        .await
        .with_context(|| format!("cannot advance the checkpoint of projection {name}"))?;
    Ok(())
}

/// Where `name` has got to (0 before its first event).
pub async fn checkpoint<C: ConnectionTrait>(conn: &C, name: &str) -> anyhow::Result<i64> {
    let row = Entity::find_by_id(name.to_owned())
        .one(conn)
        .await
        .with_context(|| format!("cannot read checkpoint {name}"))?;
    Ok(row.map_or(0, |r| r.position))
}

/// Every checkpoint row, and the service's projections and process manager
/// at 0 before their first event; a rebuild's row (`<name>__rebuild`) comes
/// as `name`, flagged, right after the projection's own.
pub async fn all_checkpoints<C: ConnectionTrait>(conn: &C) -> anyhow::Result<Vec<Checkpoint>> {
    let rows = Entity::find().all(conn).await.context("cannot read the checkpoints")?;
    let mut all: Vec<Checkpoint> = rows
        .into_iter()
        .map(|row| match row.name.strip_suffix(SHADOW_SUFFIX) {
            Some(name) => Checkpoint { name: name.to_owned(), position: row.position, rebuilding: true },
            None => Checkpoint { name: row.name, position: row.position, rebuilding: false },
        })
        .collect();
    let expected = super::all().iter().map(|p| p.name()).chain([TransferProcess::NAME]).collect::<Vec<_>>();
    for name in expected {
        if !all.iter().any(|c| c.name == name && !c.rebuilding) {
            all.push(Checkpoint { name: name.to_owned(), position: 0, rebuilding: false });
        }
    }
    all.sort_by(|a, b| (&a.name, a.rebuilding).cmp(&(&b.name, b.rebuilding)));
    Ok(all)
}
