//! `processed_commands`: idempotency keys with what their command recorded.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProcessedCommands {
    Table,
    CommandId,
    Fingerprint,
    Positions,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProcessedCommands::Table)
                    .col(pk_uuid(ProcessedCommands::CommandId))
                    .col(text(ProcessedCommands::Fingerprint))
                    .col(json(ProcessedCommands::Positions))
                    .col(timestamp_with_time_zone(ProcessedCommands::ProcessedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProcessedCommands::Table).to_owned()).await
    }
}
