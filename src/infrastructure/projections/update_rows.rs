//! Many rows of one table updated by one statement, each only if it is at
//! the version just before its change: `UPDATE … FROM (VALUES …)`, which
//! SQLite (3.33 on) and PostgreSQL both understand.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, Value};

use crate::infrastructure::database::Dialect;
use crate::infrastructure::database::ROWS_PER_STATEMENT;

/// How a column takes its new value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    /// Always the row's value.
    Always,
    /// The row's value, or the current one where the row has none.
    UnlessNull,
}

/// One change per row of `table`: every row's values are its `id`, the
/// version it must be at, then one value per column of `columns`.
pub struct RowUpdates<'a> {
    pub table: &'a str,
    pub columns: &'a [(&'a str, Assign)],
    pub rows: Vec<Vec<Value>>,
}

impl RowUpdates<'_> {
    /// Applies the changes; a row at another version than its change
    /// expects (a change applied already) is left as it is.
    pub async fn apply(self, txn: &DatabaseTransaction) -> anyhow::Result<()> {
        let dialect = Dialect::of(txn);
        for chunk in self.rows.chunks(ROWS_PER_STATEMENT) {
            let sql = self.sql(dialect, chunk.len());
            let values: Vec<Value> = chunk.iter().flatten().cloned().collect();
            txn.execute_raw(Statement::from_sql_and_values(dialect.backend(), sql, values))
                .await
                .with_context(|| format!("cannot update the rows of {}", self.table))?;
        }
        Ok(())
    }

    fn sql(&self, dialect: Dialect, rows: usize) -> String {
        let table = quote(self.table);
        let width = self.columns.len() + 2;
        let mut parameter = 0;
        let values: Vec<String> = (0..rows)
            .map(|_| {
                let row: Vec<String> = (0..width)
                    .map(|_| {
                        parameter += 1;
                        dialect.parameter(parameter)
                    })
                    .collect();
                format!("({})", row.join(", "))
            })
            .collect();
        let names: Vec<String> = ["id", "expected_version"]
            .into_iter()
            .chain(self.columns.iter().map(|(name, _)| *name))
            .enumerate()
            .map(|(i, name)| format!("column{} AS {}", i + 1, quote(name)))
            .collect();
        let assignments: Vec<String> = self
            .columns
            .iter()
            .map(|(name, assign)| {
                let name = quote(name);
                match assign {
                    Assign::Always => format!("{name} = changes.{name}"),
                    Assign::UnlessNull => format!("{name} = COALESCE(changes.{name}, {table}.{name})"),
                }
            })
            .collect();
        format!(
            "UPDATE {table} SET {} FROM (SELECT {} FROM (VALUES {}) AS listed) AS changes \
             WHERE {table}.\"id\" = changes.\"id\" AND {table}.\"version\" = changes.\"expected_version\"",
            assignments.join(", "),
            names.join(", "),
            values.join(", ")
        )
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
