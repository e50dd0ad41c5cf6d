//! Counts every statement the server sends to the database, as the
//! Prometheus counter `minibank_db_statements_total`: how many statements a
//! query costs is read from /metrics before and after it (the nested-query
//! tests assert it; operators see it per second).

use sea_orm::DatabaseConnection;

pub const STATEMENTS_TOTAL: &str = "minibank_db_statements_total";
/// Of those, the ones run inline ([`super::InlineReads`]).
pub const INLINE_STATEMENTS_TOTAL: &str = "minibank_db_inline_statements_total";

/// Registers the counter on every statement `db` runs, in transactions too.
pub fn count_statements(db: &mut DatabaseConnection) {
    db.set_metric_callback(|_| metrics::counter!(STATEMENTS_TOTAL).increment(1));
}
