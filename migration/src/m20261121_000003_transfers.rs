//! The `transfers` read model.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Transfers {
    Table,
    Id,
    FromAccountId,
    ToAccountId,
    AmountCents,
    Currency,
    Description,
    Status,
    FailureReason,
    RequestedAt,
    CompletedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Transfers::Table)
                    .col(pk_uuid(Transfers::Id))
                    .col(uuid(Transfers::FromAccountId))
                    .col(uuid(Transfers::ToAccountId))
                    .col(big_integer(Transfers::AmountCents))
                    .col(text(Transfers::Currency))
                    .col(text_null(Transfers::Description))
                    .col(text(Transfers::Status))
                    .col(text_null(Transfers::FailureReason))
                    .col(timestamp_with_time_zone(Transfers::RequestedAt))
                    .col(timestamp_with_time_zone_null(Transfers::CompletedAt))
                    .col(integer(Transfers::Version))
                    .to_owned(),
            )
            .await?;
        for (name, column) in
            [("ix_transfers_from", Transfers::FromAccountId), ("ix_transfers_to", Transfers::ToAccountId)]
        {
            manager.create_index(Index::create().name(name).table(Transfers::Table).col(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Transfers::Table).to_owned()).await
    }
}
