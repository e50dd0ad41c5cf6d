//! The shadow tables' DDL: copies of the live tables' definitions (so a later
//! migration's columns and indexes are respected), and the swap.

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};

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
        let create = match txn.get_database_backend() {
            DbBackend::Postgres => format!("CREATE TABLE {} (LIKE {} INCLUDING ALL)", quote(&shadow), quote(table)),
            _ => {
                let sql = sqlite_schema(txn, "table", table).await?;
                let Some((_, sql)) = sql.into_iter().next() else { bail!("there is no table {table} to rebuild") };
                renamed_create_table(&sql, table, &shadow)
                    .with_context(|| format!("cannot read the definition of table {table}: {sql}"))?
            }
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
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    for &table in tables {
        let shadow = Target::Shadow.table(table);
        let (renames, creates) = if postgres {
            (postgres_index_renames(txn, table, &shadow).await?, Vec::new())
        } else {
            let indexes = sqlite_schema(txn, "index", table).await?;
            (Vec::new(), indexes.into_iter().map(|(_, sql)| sql).collect())
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

/// Fresh statistics for the planner (PostgreSQL); best effort.
pub(super) async fn analyze(db: &DatabaseConnection, tables: &[&str]) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    for &table in tables {
        if let Err(error) = db.execute_unprepared(&format!("ANALYZE {}", quote(table))).await {
            tracing::warn!(%error, table, "cannot analyze the rebuilt table");
        }
    }
}

fn retired(table: &str) -> String {
    format!("{table}{RETIRED_SUFFIX}")
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// `(name, sql)` of the tables or indexes called / on `table` that have SQL
/// of their own (not SQLite's automatic indexes for inline constraints).
async fn sqlite_schema(txn: &DatabaseTransaction, kind: &str, table: &str) -> anyhow::Result<Vec<(String, String)>> {
    let column = if kind == "table" { "name" } else { "tbl_name" };
    let sql = format!(
        "SELECT name, sql FROM sqlite_master WHERE type = ? AND {column} = ? AND sql IS NOT NULL ORDER BY name"
    );
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [kind.into(), table.into()]))
        .await
        .with_context(|| format!("cannot read the schema of {table}"))?;
    rows.iter()
        .map(|row| Ok((row.try_get::<String>("", "name")?, row.try_get::<String>("", "sql")?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .with_context(|| format!("cannot read the schema of {table}"))
}

/// `CREATE TABLE "from" (…)` as `CREATE TABLE "to" (…)`; `None` unless the
/// statement creates exactly `from`.
fn renamed_create_table(sql: &str, from: &str, to: &str) -> Option<String> {
    let rest = strip_word(sql.trim_start(), "CREATE")?;
    let rest = strip_word(rest, "TABLE")?;
    let rest =
        strip_word(rest, "IF").and_then(|r| strip_word(r, "NOT")).and_then(|r| strip_word(r, "EXISTS")).unwrap_or(rest);
    let (name, after) = match rest.chars().next()? {
        open @ ('"' | '`' | '[') => {
            let close = if open == '[' { ']' } else { open };
            let end = rest[1..].find(close)? + 1;
            (&rest[1..end], &rest[end + 1..])
        }
        _ => {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    name.eq_ignore_ascii_case(from).then(|| format!("CREATE TABLE {}{after}", quote(to)))
}

/// `text` after a leading keyword and the whitespace that follows it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// `(shadow index, canonical name)` for every index of `table`, paired by
/// definition (`UNIQUE` or not, method, columns, predicate).
async fn postgres_index_renames(
    txn: &DatabaseTransaction,
    table: &str,
    shadow: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut live = postgres_indexes(txn, table).await?;
    let mut copies = postgres_indexes(txn, shadow).await?;
    live.sort();
    copies.sort();
    let same_shape = live.len() == copies.len() && live.iter().zip(&copies).all(|(l, c)| l.0 == c.0);
    if !same_shape {
        bail!("the shadow of {table} has other indexes than the table: {copies:?} against {live:?}");
    }
    Ok(copies.into_iter().zip(live).map(|(copy, canonical)| (copy.1, canonical.1)).collect())
}

/// `(definition without its names, index name)` of each index on `table`.
async fn postgres_indexes(txn: &DatabaseTransaction, table: &str) -> anyhow::Result<Vec<(String, String)>> {
    let sql = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1";
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [table.into()]))
        .await
        .with_context(|| format!("cannot read the indexes of {table}"))?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("", "indexname")?;
            let definition: String = row.try_get("", "indexdef")?;
            Ok((index_shape(&definition), name))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .with_context(|| format!("cannot read the indexes of {table}"))
}

/// `CREATE UNIQUE INDEX x ON public.t USING btree (id)` → `UNIQUE USING btree (id)`.
fn index_shape(definition: &str) -> String {
    let unique = if definition.starts_with("CREATE UNIQUE ") { "UNIQUE" } else { "" };
    let using = definition.find(" USING ").map_or(definition, |at| &definition[at..]);
    format!("{unique}{using}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_statements_are_renamed_whatever_the_quoting() {
        let shadow = r#"CREATE TABLE "accounts__rebuild" ( "id" uuid_text NOT NULL PRIMARY KEY )"#;
        assert_eq!(
            renamed_create_table(
                r#"CREATE TABLE "accounts" ( "id" uuid_text NOT NULL PRIMARY KEY )"#,
                "accounts",
                "accounts__rebuild"
            )
            .as_deref(),
            Some(shadow)
        );
        assert_eq!(
            renamed_create_table(r#"create table accounts( "id" uuid_text NOT NULL PRIMARY KEY )"#, "accounts", "x")
                .as_deref(),
            Some(r#"CREATE TABLE "x"( "id" uuid_text NOT NULL PRIMARY KEY )"#)
        );
        assert_eq!(
            renamed_create_table("CREATE TABLE IF NOT EXISTS `accounts` (id)", "accounts", "x").as_deref(),
            Some(r#"CREATE TABLE "x" (id)"#)
        );
        assert_eq!(
            renamed_create_table("CREATE TABLE [accounts] (id)", "accounts", "x").as_deref(),
            Some(r#"CREATE TABLE "x" (id)"#)
        );
        assert_eq!(renamed_create_table(r#"CREATE TABLE "accounts_old" (id)"#, "accounts", "x"), None);
        assert_eq!(renamed_create_table("CREATE VIEW accounts AS SELECT 1", "accounts", "x"), None);
    }

    #[test]
    fn index_shapes_ignore_names_but_not_uniqueness_or_columns() {
        let live = index_shape("CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)");
        let copy =
            index_shape("CREATE UNIQUE INDEX accounts__rebuild_pkey ON public.accounts__rebuild USING btree (id)");
        assert_eq!(live, copy);
        assert_ne!(live, index_shape("CREATE INDEX ix ON public.accounts USING btree (id)"));
        assert_ne!(live, index_shape("CREATE UNIQUE INDEX ix ON public.accounts USING btree (number)"));
    }
}
