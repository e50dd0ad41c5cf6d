//! The event log, the unique claims, the read models and projection checkpoints.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Position,
    Id,
    StreamId,
    StreamType,
    Version,
    EventType,
    SchemaVersion,
    Data,
    Metadata,
    RecordedAt,
}

#[derive(DeriveIden)]
enum UniqueClaims {
    Table,
    Scope,
    Value,
    OwnerId,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Seq,
    Username,
    Email,
    EmailLower,
    PasswordHash,
    FirstName,
    LastName,
    IsCompany,
    Role,
    CreatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Seq,
    Number,
    OwnerId,
    Currency,
    BalanceCents,
    OverdraftLimitCents,
    Status,
    Version,
    OpenedAt,
    UpdatedAt,
    LastPosition,
}

#[derive(DeriveIden)]
enum AccountTransactions {
    Table,
    Id,
    AccountId,
    Version,
    Kind,
    AmountCents,
    BalanceAfterCents,
    Description,
    TransferId,
    OccurredAt,
    Position,
}

#[derive(DeriveIden)]
enum ProjectionCheckpoints {
    Table,
    Name,
    Position,
}

/// The event log. `position` is the global order: on SQLite sea-query renders
/// a big-integer auto-increment key as `integer PRIMARY KEY AUTOINCREMENT` (a
/// rowid alias that is never reused), on PostgreSQL as a `bigint` identity.
fn events_table() -> TableCreateStatement {
    Table::create()
        .table(Events::Table)
        .col(big_pk_auto(Events::Position))
        .col(uuid_uniq(Events::Id))
        .col(uuid(Events::StreamId))
        .col(text(Events::StreamType))
        .col(integer(Events::Version))
        .col(text(Events::EventType))
        .col(integer(Events::SchemaVersion))
        .col(json_binary(Events::Data))
        .col(json_binary(Events::Metadata))
        .col(timestamp_with_time_zone(Events::RecordedAt))
        .index(Index::create().name("ux_events_stream_version").col(Events::StreamId).col(Events::Version).unique())
        .to_owned()
}

fn unique_claims_table() -> TableCreateStatement {
    Table::create()
        .table(UniqueClaims::Table)
        .col(text(UniqueClaims::Scope))
        .col(text(UniqueClaims::Value))
        .col(uuid(UniqueClaims::OwnerId))
        .primary_key(Index::create().col(UniqueClaims::Scope).col(UniqueClaims::Value))
        .to_owned()
}

fn clients_table() -> TableCreateStatement {
    Table::create()
        .table(Clients::Table)
        .col(pk_uuid(Clients::Id))
        .col(big_integer_uniq(Clients::Seq))
        .col(text_uniq(Clients::Username))
        .col(text(Clients::Email))
        .col(text_uniq(Clients::EmailLower))
        .col(text(Clients::PasswordHash))
        .col(text(Clients::FirstName))
        .col(text(Clients::LastName))
        .col(boolean(Clients::IsCompany))
        .col(text(Clients::Role))
        .col(timestamp_with_time_zone(Clients::CreatedAt))
        .col(integer(Clients::Version))
        .to_owned()
}

fn accounts_table() -> TableCreateStatement {
    Table::create()
        .table(Accounts::Table)
        .col(pk_uuid(Accounts::Id))
        .col(big_integer_uniq(Accounts::Seq))
        .col(text_uniq(Accounts::Number))
        .col(uuid(Accounts::OwnerId))
        .col(text(Accounts::Currency))
        .col(big_integer(Accounts::BalanceCents))
        .col(big_integer(Accounts::OverdraftLimitCents))
        .col(text(Accounts::Status))
        .col(integer(Accounts::Version))
        .col(timestamp_with_time_zone(Accounts::OpenedAt))
        .col(timestamp_with_time_zone(Accounts::UpdatedAt))
        .col(big_integer(Accounts::LastPosition))
        .to_owned()
}

fn account_transactions_table() -> TableCreateStatement {
    Table::create()
        .table(AccountTransactions::Table)
        .col(pk_uuid(AccountTransactions::Id))
        .col(uuid(AccountTransactions::AccountId))
        .col(integer(AccountTransactions::Version))
        .col(text(AccountTransactions::Kind))
        .col(big_integer(AccountTransactions::AmountCents))
        .col(big_integer(AccountTransactions::BalanceAfterCents))
        .col(text_null(AccountTransactions::Description))
        .col(uuid_null(AccountTransactions::TransferId))
        .col(timestamp_with_time_zone(AccountTransactions::OccurredAt))
        .col(big_integer(AccountTransactions::Position))
        .index(
            Index::create()
                .name("ux_account_transactions_account_version")
                .col(AccountTransactions::AccountId)
                .col(AccountTransactions::Version)
                .unique(),
        )
        .to_owned()
}

fn projection_checkpoints_table() -> TableCreateStatement {
    Table::create()
        .table(ProjectionCheckpoints::Table)
        .col(text(ProjectionCheckpoints::Name).primary_key())
        .col(big_integer(ProjectionCheckpoints::Position))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            events_table(),
            unique_claims_table(),
            clients_table(),
            accounts_table(),
            account_transactions_table(),
            projection_checkpoints_table(),
        ] {
            manager.create_table(table).await?;
        }
        manager
            .create_index(
                Index::create().name("ix_events_event_type").table(Events::Table).col(Events::EventType).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_accounts_owner_id").table(Accounts::Table).col(Accounts::OwnerId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alias::new("projection_checkpoints"),
            Alias::new("account_transactions"),
            Alias::new("accounts"),
            Alias::new("clients"),
            Alias::new("unique_claims"),
            Alias::new("events"),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The global position must be a real rowid alias on SQLite (so it is
    /// monotonic and never reused) and a bigint identity on PostgreSQL.
    #[test]
    fn events_position_is_autoincrement_on_both_backends() {
        let sqlite = events_table().to_string(SqliteQueryBuilder);
        assert!(sqlite.contains(r#""position" integer NOT NULL PRIMARY KEY AUTOINCREMENT"#), "{sqlite}");
        let postgres = events_table().to_string(PostgresQueryBuilder);
        assert!(postgres.contains(r#""position" bigint GENERATED BY DEFAULT AS IDENTITY"#), "{postgres}");
    }
}
