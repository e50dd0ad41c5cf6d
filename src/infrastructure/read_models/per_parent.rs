//! "The first N rows of each parent" and "how many rows per parent" as one
//! statement each, for a whole level of a nested query. `ROW_NUMBER() OVER
//! (PARTITION BY …)` runs the same on SQLite (3.25+) and PostgreSQL.

use std::collections::HashMap;
use std::hash::Hash;

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, IntoColumnRef, Order, Query, SelectStatement, WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, QueryTrait, TryGetable,
};

use super::rows::with_window_count;

const ROW_IN_PARENT: &str = "row_in_parent";
const ROWS: &str = "rows_of_parent";

/// The rows of `E` matching `condition`, at most `limit` per value of
/// `parent`, in `order` within each parent: `E`'s columns in their order,
/// then the rank, then (when `counted`) how many rows the parent has in all
/// ([`Counted`](super::rows::Counted)).
pub fn first_per_parent<E: EntityTrait>(
    condition: Condition,
    parent: E::Column,
    order: (E::Column, Order),
    limit: u64,
    counted: bool,
) -> SelectStatement {
    let mut ranked: SelectStatement = E::find().filter(condition).into_query();
    ranked.expr_window_as(
        Func::cust("ROW_NUMBER"),
        WindowStatement::partition_by(parent).order_by(order.0, order.1).to_owned(),
        Alias::new(ROW_IN_PARENT),
    );
    if counted {
        with_window_count(&mut ranked, WindowStatement::partition_by(parent));
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Query::select()
        .column(Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new(ROW_IN_PARENT)).lte(limit))
        .order_by(Alias::new(ROW_IN_PARENT), Order::Asc)
        .to_owned()
}

/// How many rows of `E` match `condition`, per value of `parent` (parents
/// without rows are absent).
pub async fn count_per_parent<E, C, K>(
    db: &C,
    condition: Condition,
    parent: E::Column,
) -> Result<HashMap<K, u64>, DbErr>
where
    E: EntityTrait,
    E::Column: ColumnTrait + IntoColumnRef + Copy,
    C: ConnectionTrait,
    K: TryGetable + Eq + Hash,
{
    let rows: Vec<(K, i64)> = E::find()
        .select_only()
        .column(parent)
        .column_as(Expr::col(parent).count(), ROWS)
        .filter(condition)
        .group_by(parent)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(key, n)| (key, u64::try_from(n).unwrap_or(0))).collect())
}
