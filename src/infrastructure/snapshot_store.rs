//! Snapshots on SeaORM: one row per stream, in the `snapshots` table.

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::application::ports::{SnapshotStore, StoredSnapshot};
use crate::domain::StreamType;
use crate::infrastructure::entities::snapshot::{ActiveModel, Column, Entity};

/// [`SnapshotStore`] on SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SeaOrmSnapshotStore {
    db: DatabaseConnection,
}

impl SeaOrmSnapshotStore {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmSnapshotStore { db }
    }
}

#[async_trait]
impl SnapshotStore for SeaOrmSnapshotStore {
    async fn load(&self, stream_id: Uuid) -> anyhow::Result<Option<StoredSnapshot>> {
        let Some(row) = Entity::find_by_id(stream_id)
            .one(&self.db)
            .await
            .with_context(|| format!("cannot read the snapshot of {stream_id}"))?
        else {
            return Ok(None);
        };
        let stream_type = StreamType::parse(&row.stream_type)
            .with_context(|| format!("snapshot of {stream_id} has an unknown stream type {}", row.stream_type))?;
        Ok(Some(StoredSnapshot {
            stream_id: row.stream_id,
            stream_type,
            version: row.version,
            snapshot_version: row.snapshot_version,
            state: row.state,
            taken_at: row.taken_at,
        }))
    }

    async fn save(&self, snapshot: StoredSnapshot) -> anyhow::Result<()> {
        let stream_id = snapshot.stream_id;
        let row = ActiveModel {
            stream_id: Set(snapshot.stream_id),
            stream_type: Set(snapshot.stream_type.as_str().to_owned()),
            version: Set(snapshot.version),
            snapshot_version: Set(snapshot.snapshot_version),
            state: Set(snapshot.state),
            taken_at: Set(snapshot.taken_at),
        };
        let excluded = Alias::new("excluded");
        // Replace an older snapshot, or one of another snapshot version; keep a newer one.
        let replaceable = Expr::col((Entity, Column::Version))
            .lt(Expr::col((excluded.clone(), Column::Version)))
            .or(Expr::col((Entity, Column::SnapshotVersion)).ne(Expr::col((excluded, Column::SnapshotVersion))));
        Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::StreamId)
                    .update_columns([
                        Column::StreamType,
                        Column::Version,
                        Column::SnapshotVersion,
                        Column::State,
                        Column::TakenAt,
                    ])
                    .action_and_where(replaceable)
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .with_context(|| format!("cannot save the snapshot of {stream_id}"))?;
        Ok(())
    }
}
