//! Aggregate snapshots: the latest state per stream, a cache of the event log
//! (dropping the table loses nothing but speed).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Snapshots {
    Table,
    StreamId,
    StreamType,
    Version,
    SnapshotVersion,
    State,
    TakenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Snapshots::Table)
                    .col(pk_uuid(Snapshots::StreamId))
                    .col(text(Snapshots::StreamType))
                    .col(integer(Snapshots::Version))
                    .col(integer(Snapshots::SnapshotVersion))
                    .col(json_binary(Snapshots::State))
                    .col(timestamp_with_time_zone(Snapshots::TakenAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Snapshots::Table).to_owned()).await
    }
}
