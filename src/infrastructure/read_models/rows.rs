//! Where a read model's rows come from: the pooled connections, or, on a
//! SQLite file, the inline readers (see
//! [`InlineReads`](crate::infrastructure::database::InlineReads)). Counts and
//! the other statements that read more than they return stay on the pool.

use std::sync::Arc;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{DatabaseConnection, FromQueryResult};

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
}
