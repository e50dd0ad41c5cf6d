//! Case-insensitive substring search that behaves the same on SQLite and
//! PostgreSQL: both sides lower-cased, `LIKE` with the wildcards escaped.

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, LikeExpr, SimpleExpr};

const ESCAPE: char = '\\';

/// The `LIKE` pattern matching `term` anywhere, with `%` and `_` in the term
/// taken literally.
pub fn contains_pattern(term: &str) -> LikeExpr {
    let mut pattern = String::from("%");
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape(ESCAPE)
}

/// `LOWER(column) LIKE pattern`.
pub fn lower_like(column: impl IntoColumnRef, pattern: LikeExpr) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column))).like(pattern)
}
