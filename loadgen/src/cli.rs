//! Command line: common flags and one subcommand per scenario.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "loadgen", version, about = "Load generator and benchmark for a running minibank server")]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Clone, Args)]
pub struct Common {
    /// GraphQL endpoint (HTTP); websockets use the same path.
    #[arg(long, env = "LOADGEN_URL", default_value = "http://127.0.0.1:8000/graphql", global = true)]
    pub url: String,
    /// Concurrent clients (closed loop: each waits for its answer).
    #[arg(long, default_value_t = 8, global = true)]
    pub clients: usize,
    /// How long to run, e.g. 10s, 500ms, 2m.
    #[arg(long, value_parser = parse_duration, default_value = "10s", global = true)]
    pub duration: Duration,
    /// Stop after this many operations instead of after --duration.
    #[arg(long, global = true)]
    pub count: Option<u64>,
    /// Accounts to spread the load over.
    #[arg(long, default_value_t = 100, global = true)]
    pub accounts: usize,
    /// Amount each account is funded with at setup.
    #[arg(long, default_value = "1000.00", global = true)]
    pub fund: String,
    /// The server's process id, to report its RSS, peak RSS and CPU per operation.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// The server's PostgreSQL database, when PostgreSQL runs on this
    /// machine: reports the CPU its backends (and all PostgreSQL processes)
    /// spend per operation.
    #[arg(long, global = true)]
    pub postgres_database: Option<String>,
    /// Write every figure to this JSON file.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
    /// Only the summary.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Seconds to wait for one answer before counting it unanswered.
    #[arg(long, default_value_t = 30, global = true)]
    pub timeout_seconds: u64,
    /// Reuse the customer and accounts saved in this file (written by the
    /// first run that names it), e.g. to measure an account with a long
    /// history (deposits, mixed, hot-account, queries).
    #[arg(long, global = true)]
    pub session: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Scenario {
    /// Every client loops `deposit` on random accounts.
    Deposits(Baseline),
    /// Reads (account + last 20 transactions) and writes (deposits, withdrawals).
    Mixed {
        /// Share of operations that are reads.
        #[arg(long, default_value_t = 0.8)]
        read_ratio: f64,
    },
    /// Every write on one account.
    HotAccount(Baseline),
    /// Only the account + last 20 transactions query.
    Queries,
    /// 50 accounts with their owner and last 5 transactions, in one query.
    Nested(NestedArgs),
    /// `transfer` between random accounts (the server may not have it yet).
    Transfers,
    /// Websocket subscribers on `events` while a writer deposits.
    Subscribe(SubscribeArgs),
    /// Deposits at a fixed rate; each event's time from commit to its NATS
    /// subject (the server runs with NATS_URL).
    RelayLatency(RelayLatencyArgs),
    /// Waits for the NATS relay to publish a backlog to a new stream:
    /// events per second and server CPU per event.
    RelayBacklog(RelayBacklogArgs),
    /// One subscriber replays the log from position 0.
    CatchUp {
        /// Events (visible to the tool's customer) that must exist first.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Baseline {
    /// Also run the hand-written SQL deposit against --database-url.
    #[arg(long, requires = "database_url")]
    pub baseline: bool,
    /// The server's database (sqlite://FILE or postgres://...).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Baseline pool size; default: 1 on SQLite (like the server), --clients on PostgreSQL.
    #[arg(long)]
    pub baseline_connections: Option<u32>,
    /// PostgreSQL: the baseline also holds minibank's append order lock from
    /// its insert through its commit, as the server's group commits do.
    #[arg(long)]
    pub baseline_order_lock: bool,
    /// SQLite: the baseline syncs with `synchronous=NORMAL` (for a server run
    /// with `--sqlite-synchronous normal`) instead of `FULL`.
    #[arg(long)]
    pub baseline_sqlite_normal_sync: bool,
}

/// Where the server publishes its events (its NATS_URL, NATS_SUBJECT_PREFIX, NATS_STREAM).
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    #[arg(long, env = "NATS_SUBJECT_PREFIX", default_value = "minibank")]
    pub prefix: String,
    #[arg(long, env = "NATS_STREAM", default_value = "MINIBANK_EVENTS")]
    pub stream: String,
}

#[derive(Debug, Clone, Args)]
pub struct RelayLatencyArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Deposits per second (open loop).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
}

#[derive(Debug, Clone, Args)]
pub struct RelayBacklogArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Messages the stream must hold: the log's length.
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,
    /// Delete the stream afterwards (smoke runs).
    #[arg(long)]
    pub delete_stream: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SubscribeArgs {
    /// Websocket subscriptions to open.
    #[arg(long, default_value_t = 10)]
    pub subscribers: usize,
    /// Subscriptions per websocket connection (32 when omitted; the tabs
    /// shape has one per connection).
    #[arg(long)]
    pub per_connection: Option<usize>,
    /// Distinct operation texts among the subscribers (subscriber i runs
    /// the i % N-th; every one receives every event): 1 makes all identical.
    #[arg(long, default_value_t = 1)]
    pub operations: usize,
    /// Deposits per second made by the writer.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Open idle subscriptions and measure the server's memory per
    /// subscription (needs --server-pid).
    #[arg(long)]
    pub idle: bool,
    /// Who subscribes to what.
    #[arg(long, value_enum, default_value_t = SubscribeShape::Events)]
    pub shape: SubscribeShape,
    #[command(flatten)]
    pub tabs: TabsArgs,
}

impl SubscribeArgs {
    pub fn per_connection(&self) -> usize {
        self.per_connection.unwrap_or(32).max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SubscribeShape {
    /// Every subscriber, signed in as one customer, receives every event
    /// (`events`): the worst case of fan-out.
    Events,
    /// Customers' browser tabs, each on its own customer's account
    /// (`accountUpdated(id)` or `events`), beside admin dashboards on every
    /// event; one subscription per connection.
    Tabs,
}

/// The tabs shape (`--shape tabs`).
#[derive(Debug, Clone, Args)]
pub struct TabsArgs {
    /// Customers, each with one account; tab i belongs to customer i mod C.
    #[arg(long, default_value_t = 1_000)]
    pub customers: usize,
    /// Of the --subscribers connections, this many are admin dashboards on
    /// `events` (all the same text); the rest are customer tabs.
    #[arg(long, default_value_t = 0)]
    pub dashboards: usize,
    /// Share of the tabs on `accountUpdated(id)`; the others are on `events`.
    #[arg(long, default_value_t = 0.5, value_parser = parse_share)]
    pub tab_mix: f64,
    /// The dashboards' admin (make one with `minibank create-admin`).
    #[arg(long, env = "LOADGEN_ADMIN_LOGIN", default_value = "admin")]
    pub admin_login: String,
    #[arg(long, env = "LOADGEN_ADMIN_PASSWORD")]
    pub admin_password: Option<String>,
}

/// A share from 0 to 1.
fn parse_share(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("not a share from 0 to 1: {raw:?}")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct NestedArgs {
    /// Who asks: an admin (every account) or a new customer with 20 accounts.
    #[arg(long = "as", value_enum, default_value_t = NestedActor::Admin)]
    pub actor: NestedActor,
    /// Admin: clients to create first, each with --accounts-each accounts.
    #[arg(long, default_value_t = 30)]
    pub owners: usize,
    #[arg(long, default_value_t = 2)]
    pub accounts_each: usize,
    #[arg(long, env = "LOADGEN_ADMIN_LOGIN", default_value = "admin")]
    pub admin_login: String,
    #[arg(long, env = "LOADGEN_ADMIN_PASSWORD")]
    pub admin_password: Option<String>,
    /// Admin only: after the run, the same query shape against PostGraphile 4
    /// serving the server's PostgreSQL tables (see loadgen/postgraphile/), with
    /// the same clients and duration, and the ratio of the two rates.
    #[arg(long)]
    pub postgraphile_url: Option<String>,
    /// PostGraphile's process id, to report its CPU per query.
    #[arg(long, requires = "postgraphile_url")]
    pub postgraphile_pid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NestedActor {
    Admin,
    Customer,
}

impl NestedActor {
    pub fn name(self) -> &'static str {
        match self {
            NestedActor::Admin => "admin",
            NestedActor::Customer => "customer",
        }
    }
}

/// `10s`, `250ms`, `2m`, or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = match raw.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => raw.split_at(at),
        None => (raw, "s"),
    };
    let value: f64 = number.parse().map_err(|_| format!("not a duration: {raw:?}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit in {raw:?} (use ms, s or m)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("3h").is_err());
    }
}
