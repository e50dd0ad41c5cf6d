//! Schema migrations for minibank, portable to SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_tables;
mod m20261121_000002_snapshots;
mod m20261121_000003_transfers;
mod m20261121_000004_processed_commands;
mod m20261121_000005_event_transaction_ids;
mod m20261201_000006_processed_unchanged;
mod m20261202_000007_list_order_indexes;
mod m20261202_000008_drop_event_transaction_ids;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_tables::Migration),
            Box::new(m20261121_000002_snapshots::Migration),
            Box::new(m20261121_000003_transfers::Migration),
            Box::new(m20261121_000004_processed_commands::Migration),
            Box::new(m20261121_000005_event_transaction_ids::Migration),
            Box::new(m20261201_000006_processed_unchanged::Migration),
            Box::new(m20261202_000007_list_order_indexes::Migration),
            Box::new(m20261202_000008_drop_event_transaction_ids::Migration),
        ]
    }
}
