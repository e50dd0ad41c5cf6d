//! Where a read model's rows come from: the pooled connections, or, on a
//! SQLite file, the inline readers (see
//! [`InlineReads`](crate::infrastructure::database::InlineReads)). Counts and
//! the other statements that read more than they return stay on the pool.

use std::sync::Arc;

use rusqlite::Row;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, SelectStatement, WindowStatement};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult, QueryResult};

use super::inline::{InlineRow, bind};
use crate::infrastructure::database::InlineReads;

#[derive(Clone)]
pub struct RowSource {
    db: DatabaseConnection,
    inline: Option<Arc<InlineReads>>,
}

impl RowSource {
    pub fn pooled(db: DatabaseConnection) -> Self {
        RowSource { db, inline: None }
    }

    pub fn with_inline_reads(self, inline: Arc<InlineReads>) -> Self {
        RowSource { inline: Some(inline), ..self }
    }

    /// Whether the counts of a level's first pages ride along with their
    /// rows ([`Counted`]): on the pool, where a statement fewer is a round
    /// trip fewer; not inline, where counting would read every row of every
    /// parent on the request's thread.
    pub fn counts_with_rows(&self) -> bool {
        self.inline.is_none()
    }

    /// Every row of a `SELECT` of `M`'s entity (its columns first, in their order).
    pub async fn all<M>(&self, query: &SelectStatement) -> anyhow::Result<Vec<M>>
    where
        M: FromQueryResult + InlineRow + Send,
    {
        let statement = self.db.get_database_backend().build(query);
        match &self.inline {
            Some(inline) => inline.read(|reader| {
                let values = statement.values.as_ref().map(bind).transpose()?.unwrap_or_default();
                reader.rows(&statement.sql, rusqlite::params_from_iter(values), M::from_row)
            }),
            None => Ok(M::find_by_statement(statement).all(&self.db).await?),
        }
    }

    /// [`all`](Self::all), with each row's count when `counted` (the
    /// statement then ends with [`with_window_count`]'s column).
    pub async fn all_maybe_counted<M>(
        &self,
        query: &SelectStatement,
        counted: bool,
    ) -> anyhow::Result<Vec<(M, Option<u64>)>>
    where
        M: FromQueryResult + InlineRow + Send,
    {
        Ok(if counted {
            self.all::<Counted<M>>(query).await?.into_iter().map(|c| (c.model, Some(c.total))).collect()
        } else {
            self.all::<M>(query).await?.into_iter().map(|m| (m, None)).collect()
        })
    }
}

/// The column a window count adds after an entity's columns (and its rank).
pub const ROWS_TOTAL: &str = "rows_total";

/// Adds `COUNT(*) OVER (window)` as the last column: how many rows the
/// statement's `WHERE` matched (in the row's partition), before any `LIMIT`.
pub fn with_window_count(query: &mut SelectStatement, window: WindowStatement) {
    query.expr_window_as(Expr::col(Asterisk).count(), window, Alias::new(ROWS_TOTAL));
}

/// A row with its list's count beside it (see [`with_window_count`]).
pub struct Counted<M> {
    pub model: M,
    pub total: u64,
}

impl<M: FromQueryResult> FromQueryResult for Counted<M> {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let total: i64 = row.try_get(prefix, ROWS_TOTAL)?;
        Ok(Counted { model: M::from_query_result(row, prefix)?, total: u64::try_from(total).unwrap_or(0) })
    }
}

impl<M: InlineRow> InlineRow for Counted<M> {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let total: i64 = row.get(row.as_ref().column_count() - 1)?;
        Ok(Counted { model: M::from_row(row)?, total: u64::try_from(total).unwrap_or(0) })
    }
}
