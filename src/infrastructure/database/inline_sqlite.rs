//! SQLite reads run on the caller's own thread.
//!
//! sqlx runs each SQLite connection on a thread of its own: a statement is
//! sent to that thread and its rows are sent back, so even a keyed read of one
//! row costs a few thread wake-ups and context switches, which on a small
//! machine cost more than SQLite's own work (README, Performance, the read
//! path's third round: the profile and `loadgen queries`). A keyed read of a
//! local file takes microseconds, so it is cheaper to run it where the
//! request already is.
//! The connections are read-only and see every transaction the writer has
//! committed (WAL), so a read after a write's answer sees that write.
//!
//! Only short reads belong here: they block the async worker that runs them
//! (a keyed lookup, a bounded page, a level of a nested query: at most 100
//! parents of at most 101 rows). Counts and searches, which read more rows
//! than they return, stay on the pooled connections.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Params, Row};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::statement_count::{INLINE_STATEMENTS_TOTAL, STATEMENTS_TOTAL};

/// The same as the pooled connections: a reader waits only while another
/// process recovers or restarts the WAL.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle connections kept for reuse: one per thread that may be reading at
/// once (the runtime's workers) is enough; more are closed after use.
const KEPT: usize = 8;

/// Prepared statements each connection keeps.
const STATEMENTS_KEPT: usize = 128;

/// Read-only connections to one SQLite file, each used by one caller at a time.
pub struct InlineReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReads {
    /// Connections to the file `reader` reads; none for a database that is
    /// not a file (an in-memory database is private to its connection).
    pub async fn beside(reader: &DatabaseConnection) -> anyhow::Result<Option<Self>> {
        let row = reader
            .query_one_raw(Statement::from_string(
                reader.get_database_backend(),
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
            ))
            .await
            .context("cannot tell which file the database is")?;
        let file: String = match row {
            Some(row) => row.try_get("", "file").context("cannot tell which file the database is")?,
            None => String::new(),
        };
        if file.is_empty() {
            return Ok(None);
        }
        let reads = InlineReads { path: PathBuf::from(file), idle: Mutex::new(Vec::new()) };
        // Fail at start, not at the first request, when the file cannot be opened.
        let first = reads.open()?;
        reads.idle.lock().expect("idle connections").push(first);
        Ok(Some(reads))
    }

    fn open(&self) -> anyhow::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)
            .with_context(|| format!("cannot open {} for reading", self.path.display()))?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // One plan per statement whatever the bound values, as on the pooled
        // connections (see sqlite.rs).
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // A level of a nested query is one statement per number of parents
        // (`IN (?, ?, …)`); keep more of them prepared than the default 16.
        connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        Ok(connection)
    }

    /// Runs `read` on an idle connection (opening one when none is idle).
    pub fn read<T>(&self, read: impl FnOnce(&Reader<'_>) -> rusqlite::Result<T>) -> anyhow::Result<T> {
        let taken = self.idle.lock().expect("idle connections").pop();
        let connection = match taken {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = read(&Reader(&connection));
        let mut idle = self.idle.lock().expect("idle connections");
        if idle.len() < KEPT {
            idle.push(connection);
        }
        Ok(result?)
    }
}

/// One connection, lent for one read; every statement is counted like the pools' statements.
pub struct Reader<'a>(&'a Connection);

impl Reader<'_> {
    /// Every row of one statement.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        counted();
        let mut statement = self.0.prepare_cached(sql)?;
        statement.query_map(params, map)?.collect()
    }
}

fn counted() {
    metrics::counter!(STATEMENTS_TOTAL).increment(1);
    metrics::counter!(INLINE_STATEMENTS_TOTAL).increment(1);
}
