//! Per-projection checkpoints: how far into the log a read model is built.

use anyhow::Context;
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, ExprTrait, Set};

use super::target::SHADOW_SUFFIX;
use crate::application::ports::Checkpoint;
use crate::application::process::TransferProcess;

use crate::infrastructure::entities::projection_checkpoint::{ActiveModel, Column, Entity};

/// Moves the checkpoint of `name` to `position` unless it is already further.
pub async fn advance_checkpoint<C: ConnectionTrait>(conn: &C, name: &str, position: i64) -> anyhow::Result<()> {
    advance_checkpoints(conn, &[name.to_owned()], position).await
}

/// Moves every named checkpoint to `position`, those already further
/// excepted, in one statement (`INSERT … ON CONFLICT DO UPDATE … WHERE`,
/// which SQLite and PostgreSQL both speak): a rebuild's batch pays one round
/// trip for all its projections. Never moving backwards keeps replays harmless.
pub async fn advance_checkpoints<C: ConnectionTrait>(conn: &C, names: &[String], position: i64) -> anyhow::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let rows = names.iter().map(|name| ActiveModel { name: Set(name.clone()), position: Set(position) });
    let behind = Expr::col((Entity, Column::Position)).lt(Expr::col((Alias::new("excluded"), Column::Position)));
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(Column::Name).update_column(Column::Position).action_and_where(behind).to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .with_context(|| format!("cannot advance the checkpoints of {}", names.join(", ")))?;
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

/// Every checkpoint row, and the service's process manager at 0 before its
/// first event; a rebuild's row (`<name>__rebuild`) comes as `name`,
/// flagged, right after the projection's own. The live projections are
/// listed as `inline`: they keep no row (see [`super::project`]).
pub async fn all_checkpoints<C: ConnectionTrait>(conn: &C) -> anyhow::Result<Vec<Checkpoint>> {
    let projections: Vec<&str> = super::all().iter().map(|p| p.name()).collect();
    let rows = Entity::find().all(conn).await.context("cannot read the checkpoints")?;
    let mut all: Vec<Checkpoint> = rows
        .into_iter()
        .filter_map(|row| match row.name.strip_suffix(SHADOW_SUFFIX) {
            Some(name) => {
                Some(Checkpoint { name: name.to_owned(), position: row.position, rebuilding: true, inline: false })
            }
            // Inline projections are exactly as far as the log: a stored row
            // under one's name cannot say more, so it is not shown.
            None if projections.contains(&row.name.as_str()) => None,
            None => Some(Checkpoint { name: row.name, position: row.position, rebuilding: false, inline: false }),
        })
        .collect();
    for name in projections {
        all.push(Checkpoint { name: name.to_owned(), position: 0, rebuilding: false, inline: true });
    }
    if !all.iter().any(|c| c.name == TransferProcess::NAME) {
        all.push(Checkpoint { name: TransferProcess::NAME.to_owned(), position: 0, rebuilding: false, inline: false });
    }
    all.sort_by(|a, b| (&a.name, a.rebuilding).cmp(&(&b.name, b.rebuilding)));
    Ok(all)
}
