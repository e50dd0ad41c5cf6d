//! The hand-written SQL equivalent of one deposit, straight against the
//! server's database at the same concurrency: what the server's throughput
//! is compared to.

mod event;
mod postgres;
mod sqlite;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::progress::Progress;
use crate::runner::Plan;
use crate::stats::{Outcome, Percentiles, Tally};

/// A pool on the server's database.
#[derive(Clone)]
enum Database {
    Sqlite(sqlx::SqlitePool),
    /// With `ordered`, each transaction also holds the server's position-order
    /// lock from its insert through its commit.
    Postgres {
        pool: sqlx::PgPool,
        ordered: bool,
    },
}

impl Database {
    async fn connect(url: &str, connections: Option<u32>, clients: usize, options: Options) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            let pool = sqlite::connect(url, connections.unwrap_or(1), !options.sqlite_normal_sync).await?;
            Ok(Database::Sqlite(pool))
        } else {
            let size = connections.unwrap_or(u32::try_from(clients).unwrap_or(u32::MAX));
            let pool = postgres::connect(url, size).await?;
            Ok(Database::Postgres { pool, ordered: options.order_lock })
        }
    }

    async fn deposit(&self, account: Uuid, cents: i64) -> anyhow::Result<()> {
        match self {
            Database::Sqlite(pool) => sqlite::deposit(pool, account, cents).await,
            Database::Postgres { pool, ordered } => postgres::deposit(pool, account, cents, *ordered).await,
        }
    }
}

/// How the baseline writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// PostgreSQL: also hold the server's order lock through the commit.
    pub order_lock: bool,
    /// SQLite: `synchronous=NORMAL` instead of the server's default `FULL`.
    pub sqlite_normal_sync: bool,
}

pub struct BaselineResult {
    pub tally: Tally,
    pub elapsed: Duration,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl BaselineResult {
    /// Its figures, and the server's throughput as a share of it.
    pub fn figures(&self, server_ops_s: f64) -> Value {
        let ops_s = self.tally.ok as f64 / self.elapsed.as_secs_f64().max(1e-9);
        json!({
            "operations_ok": self.tally.ok,
            "errors": self.errors,
            "first_error": self.first_error,
            "throughput_ops_s": ops_s,
            "latency": Percentiles::of(&self.tally.latency),
            "server_to_baseline_ratio": server_ops_s / ops_s.max(1e-9),
        })
    }
}

pub async fn run(
    url: &str,
    accounts: &[String],
    plan: Plan,
    connections: Option<u32>,
    options: Options,
) -> anyhow::Result<BaselineResult> {
    let ids: Vec<Uuid> = accounts
        .iter()
        .map(|id| Uuid::parse_str(id).with_context(|| format!("account id {id} is not a UUID")))
        .collect::<anyhow::Result<_>>()?;
    let ids = Arc::new(ids);
    let database = Database::connect(url, connections, plan.clients, options).await?;
    let progress = Progress::start("baseline", plan.goal(), plan.quiet);
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut tasks = Vec::new();
    for _ in 0..plan.clients.max(1) {
        let (database, ids, issued, done) = (database.clone(), ids.clone(), issued.clone(), progress.counter());
        tasks.push(tokio::spawn(async move {
            let mut rng = SmallRng::seed_from_u64(rand::random());
            let mut tally = Tally::default();
            let mut first_error = None;
            let another = || match plan.count {
                Some(count) => issued.fetch_add(1, Ordering::Relaxed) < count,
                None => Instant::now() < deadline,
            };
            while another() {
                let account = ids[rng.random_range(0..ids.len())];
                let cents = rng.random_range(100..=10_000);
                let sent = Instant::now();
                let outcome = match database.deposit(account, cents).await {
                    Ok(()) => Outcome::Ok,
                    Err(err) => {
                        first_error.get_or_insert_with(|| format!("{err:#}"));
                        Outcome::Error("SQL".into())
                    }
                };
                tally.record(outcome, sent.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            (tally, first_error)
        }));
    }
    let mut tally = Tally::default();
    let mut first_error = None;
    for task in tasks {
        let (own, error) = task.await.context("a baseline client panicked")?;
        tally.merge(own);
        first_error = first_error.or(error);
    }
    let elapsed = started.elapsed();
    progress.finish().await;
    let errors = tally.unexpected();
    Ok(BaselineResult { tally, elapsed, errors, first_error })
}
