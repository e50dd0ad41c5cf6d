//! The database pools' use, for the metrics: read when `/metrics` is
//! scraped, so the figures are as of the scrape.

use std::sync::Arc;

use sea_orm::{DatabaseBackend, DatabaseConnection};

/// Metric names, as `http::metrics::catalog` describes them.
const CONNECTIONS: &str = "minibank_db_pool_connections";
const MAX_CONNECTIONS: &str = "minibank_db_pool_max_connections";

/// Records each named pool's open, idle and in-use connections.
pub fn sampler(pools: Vec<(&'static str, DatabaseConnection)>) -> Arc<dyn Fn() + Send + Sync> {
    Arc::new(move || {
        for (name, pool) in &pools {
            let (size, idle, max) = usage(pool);
            let in_use = size.saturating_sub(idle);
            metrics::gauge!(CONNECTIONS, "pool" => *name, "state" => "in_use").set(in_use as f64);
            metrics::gauge!(CONNECTIONS, "pool" => *name, "state" => "idle").set(idle as f64);
            metrics::gauge!(MAX_CONNECTIONS, "pool" => *name).set(max as f64);
        }
    })
}

/// Open connections, idle ones, and the most the pool may open.
fn usage(pool: &DatabaseConnection) -> (usize, usize, u32) {
    match pool.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = pool.get_postgres_connection_pool();
            (pool.size() as usize, pool.num_idle(), pool.options().get_max_connections())
        }
        DatabaseBackend::Sqlite => {
            let pool = pool.get_sqlite_connection_pool();
            (pool.size() as usize, pool.num_idle(), pool.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}
