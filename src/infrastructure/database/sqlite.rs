//! How minibank opens SQLite: one writer connection, a few query-only reader
//! connections beside it (WAL lets them read while the writer writes), and
//! the same pragmas on every connection the pools open or reopen.

use std::ffi::c_int;
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// How long a statement waits for a lock held by another process before
/// failing with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Reader connections: enough to keep reads off the writer on a small
/// machine; reads are short, so more mostly adds threads.
pub const READERS: u32 = 4;

/// Which pool a connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The single connection every write goes through: SQLite allows one
    /// writer anyway, and one connection serializes writers in-process
    /// instead of failing with SQLITE_BUSY when two transactions that
    /// started as readers both try to write.
    Writer,
    /// Reads only (`query_only`), so a bug cannot write behind the writer's back.
    Reader,
}

/// When SQLite makes a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Every commit is on disk before it is acknowledged: a power loss
    /// keeps every acknowledged command. Group commit makes one sync carry
    /// many commands.
    #[default]
    Full,
    /// The WAL is synced at checkpoints only: faster, but a power loss (not
    /// a process crash) can drop the last acknowledged commits.
    Normal,
}

impl Synchronous {
    fn pragma(self) -> SqliteSynchronous {
        match self {
            Synchronous::Full => SqliteSynchronous::Full,
            Synchronous::Normal => SqliteSynchronous::Normal,
        }
    }
}

pub fn configure(options: &mut ConnectOptions, role: Role, synchronous: Synchronous) {
    let connections = match role {
        Role::Writer => 1,
        Role::Reader => READERS,
    };
    options
        .max_connections(connections)
        // The pool would otherwise ping a connection each time it hands it
        // out: on SQLite a round trip to the connection's own thread before
        // every statement, to check a connection that cannot go away (the
        // file is in this process; the pool still pings it when it comes back).
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |sqlite| {
            let sqlite = sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous.pragma())
                .busy_timeout(BUSY_TIMEOUT)
                .foreign_keys(true);
            if role == Role::Reader { sqlite.pragma("query_only", "ON") } else { sqlite }
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|connection, _| Box::pin(async move { plan_once(connection).await }))
        });
}

/// A write transaction takes the write lock at `BEGIN` (waiting up to the
/// busy timeout): a deferred transaction that read first fails with
/// "database is locked" at its first write if another connection (another
/// process: a rebuild, `create-admin`) committed in between, and no busy
/// timeout helps with that.
pub async fn begin_write(db: &DatabaseConnection) -> anyhow::Result<DatabaseTransaction> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await.context("cannot begin a transaction")
}

/// One process at a time writes a SQLite file's schema: the migrator's own
/// transactions are enough.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    use migration::MigratorTrait;
    migration::Migrator::up(db, None).await.context("cannot migrate the database")
}

/// Turns on SQLite's query planner stability guarantee for the connection.
///
/// Without it SQLite re-plans a cached statement whenever a new value is
/// bound to a parameter that the planner looked at, and sea-query binds every
/// `LIMIT` as a parameter: every paged or single-row read (`LIMIT ?`) was
/// compiled again on each execution (about 8% of the server's CPU time in a
/// deposit benchmark, all of it on the connection's own thread). Our queries
/// have one good plan whatever the values, so one plan per statement it is.
async fn plan_once(connection: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is the live handle of this connection, held exclusively
    // through `handle` for the duration of the call; SQLITE_DBCONFIG_ENABLE_QPSG
    // takes an int (1: on) and an int pointer for the new setting, which may
    // be null.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sea_orm::sqlx::Error::Configuration(format!("cannot enable SQLite's plan stability (code {rc})").into()))
    }
}
