//! An index for each ordering the read side pages through by keyset: one
//! owner's accounts by opening (`owner_id, seq`, which also serves lookups by
//! owner alone, so it replaces `ix_accounts_owner_id`) and the accounts of
//! one status by opening (`status, seq`). Transactions (`account_id,
//! version`), clients and all accounts (`seq`) and a stream's events
//! (`stream_id, version`) already have theirs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    OwnerId,
    Seq,
    Status,
}

const OWNER_ID: &str = "ix_accounts_owner_id";
const OWNER_SEQ: &str = "ix_accounts_owner_id_seq";
const STATUS_SEQ: &str = "ix_accounts_status_seq";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OWNER_SEQ)
                    .table(Accounts::Table)
                    .col(Accounts::OwnerId)
                    .col(Accounts::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(STATUS_SEQ)
                    .table(Accounts::Table)
                    .col(Accounts::Status)
                    .col(Accounts::Seq)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name(OWNER_ID).table(Accounts::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(Index::create().name(OWNER_ID).table(Accounts::Table).col(Accounts::OwnerId).to_owned())
            .await?;
        manager.drop_index(Index::drop().name(STATUS_SEQ).table(Accounts::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name(OWNER_SEQ).table(Accounts::Table).to_owned()).await
    }
}
