//! PostgreSQL only: each event row keeps the id of the transaction that
//! inserted it, so that readers can tell when every earlier position has
//! either committed or rolled back (see the event store's `commit` and
//! `read` modules). SQLite has a single writer and needs none of it. (Dropped
//! again by `m20261202_000008`, once appends became visible in order.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        // Rows already there get this migration's own id: they are all
        // committed, which is all that readers ask of them.
        let sql = "ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()";
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared("ALTER TABLE events DROP COLUMN txid").await?;
        Ok(())
    }
}
