//! A fresh database per test: a SQLite file by default, or a PostgreSQL
//! database of its own when `TEST_DATABASE_URL` is set (dropped afterwards).

use std::io::Write;
use std::sync::Once;

use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;
use uuid::Uuid;

pub enum TestDatabase {
    Sqlite { url: String, _dir: TempDir },
    Postgres { url: String, admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create() -> Self {
        match Self::postgres_if_asked().await {
            Some(database) => database,
            None => Self::sqlite(),
        }
    }

    /// A PostgreSQL database of its own when `TEST_DATABASE_URL` is set;
    /// otherwise `None`, said once per test binary.
    pub async fn postgres_if_asked() -> Option<Self> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) => Some(Self::postgres(admin_url).await),
            Err(_) => {
                say_postgres_skipped();
                None
            }
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("minibank.db").display());
        TestDatabase::Sqlite { url, _dir: dir }
    }

    pub async fn postgres(admin_url: String) -> Self {
        let name = format!("minibank_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str()).await.expect("TEST_DATABASE_URL reachable");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
        admin.close().await.unwrap();
        TestDatabase::Postgres { url: with_database(&admin_url, &name), admin_url, name }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDatabase::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabase::Postgres { admin_url, name, .. } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop may run inside an async runtime: do the async work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let admin = Database::connect(admin_url.as_str()).await?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(std::io::stderr(), "could not drop a test database: {dropped:?}");
        }
    }
}

/// Says once per test binary, past the output capture, that only SQLite ran.
fn say_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "TEST_DATABASE_URL is not set: these tests ran on SQLite only; the PostgreSQL suite was skipped"
        );
    });
}

/// The same server URL pointing at another database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}
