//! The shadow tables' DDL: copies of the live tables' definitions (so a later
//! migration's columns and indexes are respected), and the swap.

mod postgres;
mod sqlite;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};

use crate::infrastructure::database::Dialect;
use crate::infrastructure::projections::Target;

/// What a swapped-out table is called until it is dropped, in the same transaction.
const RETIRED_SUFFIX: &str = "__retired";

/// Drops what an aborted rebuild left, then creates an empty shadow of each table.
///
/// PostgreSQL copies everything with `LIKE … INCLUDING ALL` (the indexes get
/// generated names, given back at the swap). SQLite copies the table's own
/// `CREATE TABLE` text with the name changed (inline keys and unique
/// constraints come with it); its other indexes are created at the swap,
/// because SQLite cannot rename an index.
pub(super) async fn create(txn: &DatabaseTransaction, tables: &[&str]) -> anyhow::Result<()> {
    drop_leftovers(txn, tables).await?;
    for &table in tables {
        let shadow = Target::Shadow.table(table);
        let create = match Dialect::of(txn) {
            Dialect::Postgres => postgres::create_like(table, &shadow),
            Dialect::Sqlite => sqlite::create_like(txn, table, &shadow).await?,
        };
        txn.execute_unprepared(&create).await.with_context(|| format!("cannot create the shadow table {shadow}"))?;
    }
    Ok(())
}

/// Drops the shadows (and any table a switch would have retired).
pub(super) async fn drop_leftovers(txn: &DatabaseTransaction, tables: &[&str]) -> anyhow::Result<()> {
    for &table in tables {
        for leftover in [Target::Shadow.table(table), retired(table)] {
            txn.execute_unprepared(&format!("DROP TABLE IF EXISTS {}", quote(&leftover)))
                .await
                .with_context(|| format!("cannot drop the leftover table {leftover}"))?;
        }
    }
    Ok(())
}

/// Puts each shadow in its table's place and drops the old table; indexes
/// end with their canonical names.
pub(super) async fn swap(txn: &DatabaseTransaction, tables: &[&str]) -> anyhow::Result<()> {
    let dialect = Dialect::of(txn);
    for &table in tables {
        let shadow = Target::Shadow.table(table);
        let (renames, creates) = match dialect {
            Dialect::Postgres => (postgres::index_renames(txn, table, &shadow).await?, Vec::new()),
            Dialect::Sqlite => (Vec::new(), sqlite::index_definitions(txn, table).await?),
        };
        let retired = retired(table);
        for statement in [
            format!("ALTER TABLE {} RENAME TO {}", quote(table), quote(&retired)),
            format!("ALTER TABLE {} RENAME TO {}", quote(&shadow), quote(table)),
            format!("DROP TABLE {}", quote(&retired)),
        ] {
            txn.execute_unprepared(&statement).await.with_context(|| format!("cannot swap {table}: {statement}"))?;
        }
        for (from, to) in renames {
            let statement = format!("ALTER INDEX {} RENAME TO {}", quote(&from), quote(&to));
            txn.execute_unprepared(&statement).await.with_context(|| format!("cannot swap {table}: {statement}"))?;
        }
        for create in creates {
            txn.execute_unprepared(&create).await.with_context(|| format!("cannot index {table}: {create}"))?;
        }
    }
    Ok(())
}

/// Fresh statistics for the planner (PostgreSQL keeps them per table; SQLite
/// needs none here); best effort.
pub(super) async fn analyze(db: &DatabaseConnection, tables: &[&str]) {
    if Dialect::of(db) == Dialect::Postgres {
        postgres::analyze(db, tables).await;
    }
}

fn retired(table: &str) -> String {
    format!("{table}{RETIRED_SUFFIX}")
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
