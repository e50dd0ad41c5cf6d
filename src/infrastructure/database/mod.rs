//! Opening and migrating the database, and telling whether it is reachable.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::application::ports::HealthCheck;

mod connect_error;
mod dialect;
mod inline_sqlite;
pub mod postgres;
mod sqlite;
mod statement_count;

pub use dialect::Dialect;
pub use inline_sqlite::InlineReads;
pub use sqlite::{READERS as SQLITE_READERS, Synchronous as SqliteSynchronous};

/// Rows at most per multi-row statement: well under either database's limit
/// on parameters (32,766 on SQLite, 65,535 on PostgreSQL) at a dozen columns.
pub const ROWS_PER_STATEMENT: usize = 500;

/// A pooled PostgreSQL connection used this recently is handed out without
/// a ping first.
const RECENTLY_USED: Duration = Duration::from_millis(500);

/// How the pool behaves when the database is slow or gone.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// PostgreSQL connections (SQLite uses one writer and
    /// [`SQLITE_READERS`] readers).
    pub max_connections: u32,
    /// How long a request waits for a connection before failing: short, so
    /// that requests fail fast while the database is away.
    pub acquire_timeout: Duration,
    /// PostgreSQL cancels a statement that runs longer than this.
    pub statement_timeout: Duration,
    /// When SQLite makes a commit durable (PostgreSQL keeps its own
    /// `synchronous_commit`, on unless the server says otherwise).
    pub sqlite_synchronous: SqliteSynchronous,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            sqlite_synchronous: SqliteSynchronous::default(),
        }
    }
}

impl PoolSettings {
    pub fn with_max_connections(max_connections: u32) -> Self {
        PoolSettings { max_connections, ..PoolSettings::default() }
    }
}

/// Connects to `sqlite:…` or `postgres://…` for reading and writing.
///
/// SQLite gets one pooled connection (see [`sqlite::Role::Writer`]);
/// PostgreSQL gets `max_connections`. The pragmas are part of the connect
/// options, so they are applied again to any connection the pool reopens.
pub async fn connect(url: &str, pool: &PoolSettings) -> anyhow::Result<DatabaseConnection> {
    open(url, pool, sqlite::Role::Writer).await
}

/// Connections for reads that need not go through the writer: on SQLite a
/// pool of query-only connections to the same file (open it after
/// [`migrate`]); on PostgreSQL, whose pool already reads in parallel, the
/// writer's own pool.
pub async fn connect_readers(
    url: &str,
    pool: &PoolSettings,
    writer: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    match Dialect::of(writer) {
        Dialect::Sqlite => open(url, pool, sqlite::Role::Reader).await,
        Dialect::Postgres => Ok(writer.clone()),
    }
}

async fn open(url: &str, pool: &PoolSettings, role: sqlite::Role) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.acquire_timeout(pool.acquire_timeout).connect_timeout(pool.acquire_timeout);
    // Statements are logged at debug level only, so they stay out of `info` logs.
    options.sqlx_logging_level(tracing::log::LevelFilter::Debug);
    if url.starts_with("sqlite:") {
        sqlite::configure(&mut options, role, pool.sqlite_synchronous);
    } else {
        let statement_timeout = pool.statement_timeout.as_millis().to_string();
        options
            .max_connections(pool.max_connections.max(1))
            // A connection is pinged before it is handed out only when it has
            // been idle a while: the pool pings every connection it takes
            // back anyway, so one used a moment ago is known to be alive, and
            // a ping before each statement is a round trip to the server
            // (HikariCP skips its check within 500 ms of use for the same reason).
            .test_before_acquire_if_idle_for(RECENTLY_USED)
            .map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", statement_timeout.as_str())]));
    }
    let mut db = match Database::connect(options).await {
        Ok(db) => db,
        Err(error) => return Err(connect_error::explain(url, pool.acquire_timeout, error).await),
    };
    statement_count::count_statements(&mut db);
    Ok(db)
}

/// Brings the schema up to date; several instances may start at once.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Dialect::of(db).migrate(db).await
}

/// The URL without its password, fit for an error message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let user_info = &url[scheme_end + 3..at];
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Readiness probe: the database answers `SELECT 1`.
#[derive(Clone)]
pub struct DatabaseHealth(pub DatabaseConnection);

#[async_trait]
impl HealthCheck for DatabaseHealth {
    async fn ready(&self) -> anyhow::Result<()> {
        self.0.execute_unprepared("SELECT 1").await.context("the database does not answer")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_kept_out_of_messages() {
        assert_eq!(redact("postgres://bank:s3cret@db:5432/bank"), "postgres://bank@db:5432/bank");
        assert_eq!(redact("sqlite://minibank.db?mode=rwc"), "sqlite://minibank.db?mode=rwc");
    }
}
