//! PostgreSQL's side of the shadow tables: `LIKE … INCLUDING ALL` copies
//! everything (the indexes get generated names, given back at the swap).

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};

use super::quote;

/// `CREATE TABLE` for `shadow` with the definition of `table`.
pub(super) fn create_like(table: &str, shadow: &str) -> String {
    format!("CREATE TABLE {} (LIKE {} INCLUDING ALL)", quote(shadow), quote(table))
}

/// Fresh statistics for the planner; best effort.
pub(super) async fn analyze(db: &DatabaseConnection, tables: &[&str]) {
    for &table in tables {
        if let Err(error) = db.execute_unprepared(&format!("ANALYZE {}", quote(table))).await {
            tracing::warn!(%error, table, "cannot analyze the rebuilt table");
        }
    }
}

/// `(shadow index, canonical name)` for every index of `table`, paired by
/// definition (`UNIQUE` or not, method, columns, predicate).
pub(super) async fn index_renames(
    txn: &DatabaseTransaction,
    table: &str,
    shadow: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut live = indexes(txn, table).await?;
    let mut copies = indexes(txn, shadow).await?;
    live.sort();
    copies.sort();
    let same_shape = live.len() == copies.len() && live.iter().zip(&copies).all(|(l, c)| l.0 == c.0);
    if !same_shape {
        bail!("the shadow of {table} has other indexes than the table: {copies:?} against {live:?}");
    }
    Ok(copies.into_iter().zip(live).map(|(copy, canonical)| (copy.1, canonical.1)).collect())
}

/// `(definition without its names, index name)` of each index on `table`.
async fn indexes(txn: &DatabaseTransaction, table: &str) -> anyhow::Result<Vec<(String, String)>> {
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
    fn index_shapes_ignore_names_but_not_uniqueness_or_columns() {
        let live = index_shape("CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)");
        let copy =
            index_shape("CREATE UNIQUE INDEX accounts__rebuild_pkey ON public.accounts__rebuild USING btree (id)");
        assert_eq!(live, copy);
        assert_ne!(live, index_shape("CREATE INDEX ix ON public.accounts USING btree (id)"));
        assert_ne!(live, index_shape("CREATE UNIQUE INDEX ix ON public.accounts USING btree (number)"));
    }
}
