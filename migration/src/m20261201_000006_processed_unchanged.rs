//! `processed_commands` of commands that changed nothing: the stream they were
//! decided on and the version they found there, so that a repeat answers with
//! that state instead of deciding again. Null for commands that recorded
//! events (their positions say it all).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProcessedCommands {
    Table,
    UnchangedStreamId,
    UnchangedVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        let stream_id = uuid_null(ProcessedCommands::UnchangedStreamId);
        let version = integer_null(ProcessedCommands::UnchangedVersion);
        for mut column in [stream_id, version] {
            let add = Table::alter().table(ProcessedCommands::Table).add_column(&mut column).to_owned();
            manager.alter_table(add).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ProcessedCommands::UnchangedVersion, ProcessedCommands::UnchangedStreamId] {
            let drop = Table::alter().table(ProcessedCommands::Table).drop_column(column).to_owned();
            manager.alter_table(drop).await?;
        }
        Ok(())
    }
}
