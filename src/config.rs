//! Command line and environment.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

// With no subcommand, minibank serves: `minibank --listen ADDR` is
// `minibank serve --listen ADDR` (see `Cli::parse_args`).
#[derive(Debug, Parser)]
#[command(
    name = "minibank",
    version,
    about = "An event-sourced bank ledger served as a GraphQL API",
    after_help = "With no subcommand, minibank serves: `minibank [OPTIONS]` is `minibank serve [OPTIONS]`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments, `serve` when they name no subcommand.
    pub fn parse_args() -> Self {
        Self::parse_from(with_default_subcommand(std::env::args_os().collect()))
    }
}

/// Clap has no default subcommand: `serve` goes in front of no arguments or
/// of options (but not of the top level's own `--help` and `--version`); a
/// first word that names no subcommand is left to clap, which says so and
/// suggests the nearest. A subcommand named after options is refused: its
/// options follow it.
fn with_default_subcommand(mut args: Vec<OsString>) -> Vec<OsString> {
    let command = Cli::command();
    let subcommand = |arg: &OsString| arg.to_str().and_then(|arg| command.find_subcommand(arg)).map(|c| c.get_name());
    let first = args.get(1).map(|first| first.to_string_lossy());
    if first.is_some_and(|first| !first.starts_with('-') || matches!(&*first, "-h" | "--help" | "-V" | "--version")) {
        return args;
    }
    if let Some(name) = args.iter().skip(1).find_map(subcommand) {
        let message = format!("the subcommand comes first, then its options: minibank {name} [OPTIONS]");
        Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message).exit();
    }
    args.insert(args.len().min(1), OsString::from("serve"));
    args
}

// Each subcommand takes the option groups it uses, and only those.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (the default when no subcommand is given).
    Serve(Box<ServeArgs>),
    /// Apply database migrations (and, with NATS_URL, make sure of the
    /// events' stream), then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        nats: NatsArgs,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Print the GraphQL schema (SDL) exported from the code.
    ExportSchema {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Register an administrator through the normal command path.
    CreateAdmin {
        #[command(flatten)]
        admin: AdminArgs,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Rebuild read models from the event log into shadow tables, then swap
    /// them in at once when caught up; the server may keep running.
    RebuildProjections {
        /// Only this projection (default: all of them).
        #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(projection_names()))]
        projection: Option<String>,
        /// Events per catch-up transaction.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        batch_size: u64,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        log: LogArgs,
    },
}

impl Command {
    /// How this subcommand logs; `export-schema` logs nothing of its own.
    pub fn log_format(&self) -> LogFormat {
        match self {
            Command::Serve(serve) => serve.log.log_format,
            Command::Migrate { log, .. }
            | Command::CreateAdmin { log, .. }
            | Command::RebuildProjections { log, .. } => log.log_format,
            Command::ExportSchema { .. } => LogFormat::Text,
        }
    }
}

// Everything the server is configured with.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub tokens: TokenArgs,
    #[command(flatten)]
    pub commands: CommandArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub websocket: WebsocketArgs,
    #[command(flatten)]
    pub nats: NatsArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

// The administrator `create-admin` registers.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// The admin's login: 3 to 32 of a-z, 0-9, '.', '_' and '-'.
    #[arg(long)]
    pub username: String,
    /// The admin's e-mail address (also accepted as the login).
    #[arg(long)]
    pub email: String,
    /// 8 to 128 characters; prefer the environment variable, which
    /// stays out of the shell's history and the process list.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Shown in the admin's profile.
    #[arg(long, default_value = "Admin")]
    pub first_name: String,
    /// Shown in the admin's profile.
    #[arg(long, default_value = "User")]
    pub last_name: String,
}

fn projection_names() -> Vec<&'static str> {
    crate::infrastructure::projections::all().iter().map(|p| p.name()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqliteSynchronousArg {
    Full,
    Normal,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Where and how the server listens, and how it stops.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "MINIBANK_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: String,
    /// Comma-separated origins allowed by CORS ("*" for any); none: same-origin only.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Open connections in all (websockets included); more get 503.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// Open connections from one IP address; more get 429. Raise it for load
    /// generators on loopback or many clients behind one proxy.
    #[arg(long, env = "MAX_CONNECTIONS_PER_PEER", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_peer: u64,
    /// Seconds a client has to send a request's headers; also how long an
    /// idle keep-alive connection stays open.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_seconds: u64,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) may take: requests in flight
    /// finish and websockets close with 1001 within it; what is left then is cut.
    #[arg(long, env = "SHUTDOWN_GRACE_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub shutdown_grace_seconds: u64,
    /// Also serve GET /metrics (Prometheus) on this address, to anyone who can
    /// reach it (for example 10.0.0.5:9100 on a private network). The main
    /// port serves it too, to loopback callers and admins only.
    #[arg(long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
}

// The tokens the server issues at login and registration.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tokens")]
pub struct TokenArgs {
    /// HS256 secret for tokens; unset: a random one per process.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// How long a token is valid, in seconds: from 60 (shorter only makes
    /// clients sign in again and again) to 2592000 (30 days; a token cannot be
    /// revoked, so its lifetime is how long a stolen one works).
    #[arg(long, env = "JWT_TTL_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=2_592_000))]
    pub jwt_ttl_seconds: i64,
}

// The database and its connection pool.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseArgs {
    /// sqlite://FILE?mode=rwc or postgres://USER@HOST/DB
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://minibank.db?mode=rwc")]
    pub database_url: String,
    /// Maximum pooled database connections (PostgreSQL; SQLite uses one writer).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,
    /// Seconds a request waits for a database connection before failing.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_SECONDS", default_value_t = 3)]
    pub database_acquire_timeout_seconds: u64,
    /// Milliseconds after which PostgreSQL cancels a statement.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub database_statement_timeout_ms: u64,
    /// When SQLite makes a commit durable: `full` (every acknowledged command
    /// survives a power loss) or `normal` (faster, but a power loss, not a
    /// crash of the process, can drop the last acknowledged commands).
    #[arg(long, env = "SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSynchronousArg::Full)]
    pub sqlite_synchronous: SqliteSynchronousArg,
}

// How commands load aggregates, and what runs beside them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Commands")]
pub struct CommandArgs {
    /// Snapshot an aggregate every this many events of its stream (0: never,
    /// and existing snapshots are not used either).
    #[arg(long, env = "SNAPSHOT_EVERY", default_value_t = 100)]
    pub snapshot_every: u32,
    /// Aggregates kept in memory between commands (0: none). A load still
    /// reads the events recorded after the cached state, so this only saves
    /// work; about 1 KiB per cached account.
    #[arg(long, env = "AGGREGATE_CACHE", default_value_t = crate::application::aggregate_cache::DEFAULT_CAPACITY)]
    pub aggregate_cache: usize,
    /// Run the transfer process manager in this instance (any number of
    /// instances may; turn it off for API-only instances).
    #[arg(long, env = "TRANSFER_PROCESS", default_value_t = true, action = clap::ArgAction::Set)]
    pub transfer_process: bool,
    /// Test-only fault injection: abort right after the named step commits
    /// (transfer-requested, transfer-completed, transfer-failed). Only in
    /// debug builds, which the tests run; a release build has no such setting.
    #[cfg(debug_assertions)]
    #[arg(long, env = "MINIBANK_CRASH_AFTER", hide = true)]
    pub crash_after: Option<String>,
}

// The live feed that subscriptions read.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Live subscriptions")]
pub struct LiveArgs {
    /// A live subscriber further behind than this many events ends with an
    /// error naming the position to resume from; 0: it always catches up.
    #[arg(long, env = "SUBSCRIPTION_MAX_LAG", default_value_t = 1_000_000)]
    pub subscription_max_lag: u64,
    /// How often the live feed reads the log without being told (milliseconds):
    /// the safety net under in-process and LISTEN/NOTIFY wake-ups.
    #[arg(long, env = "FEED_POLL_MS", default_value_t = 1_000)]
    pub feed_poll_ms: u64,
    /// Events kept in memory for live subscribers.
    #[arg(long, env = "FEED_BUFFER", default_value_t = 10_000)]
    pub feed_buffer: usize,
}

// Limits of each websocket connection.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Websockets")]
pub struct WebsocketArgs {
    /// Seconds a websocket may take to send connection_init (then 4408).
    #[arg(long, env = "WS_INIT_TIMEOUT_SECONDS", default_value_t = 10)]
    pub ws_init_timeout_seconds: u64,
    /// Live operations per websocket connection.
    #[arg(long, env = "WS_MAX_SUBSCRIPTIONS", default_value_t = 32)]
    pub ws_max_subscriptions: usize,
    /// Seconds between server pings on websockets; a peer silent for three times this is dropped.
    #[arg(long, env = "WS_PING_SECONDS", default_value_t = 15)]
    pub ws_ping_seconds: u64,
    /// Seconds an anonymous websocket (no token) may stay open while it runs
    /// no operation (then 4401).
    #[arg(long, env = "WS_ANONYMOUS_IDLE_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub ws_anonymous_idle_seconds: u64,
}

// The broker other services read events from and send commands to.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "NATS")]
pub struct NatsArgs {
    /// NATS with JetStream (nats://HOST:PORT) for other services: every
    /// committed event to a stream, commands by request/reply, and wake-ups
    /// between instances. Unset: no broker.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
    /// The first token(s) of every subject this deployment uses on NATS.
    #[arg(long, env = "NATS_SUBJECT_PREFIX", default_value = "minibank")]
    pub nats_subject_prefix: String,
    /// The JetStream stream of the events (created when missing).
    #[arg(long, env = "NATS_STREAM", default_value = "MINIBANK_EVENTS")]
    pub nats_stream: String,
    /// Hours a stream minibank creates keeps each event (0: for ever).
    #[arg(long, env = "NATS_STREAM_MAX_AGE_HOURS", default_value_t = 0)]
    pub nats_stream_max_age_hours: u64,
    /// Seconds JetStream remembers event ids to drop a re-sent event, in a
    /// stream minibank creates.
    #[arg(long, env = "NATS_DUPLICATE_WINDOW_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(120..=86_400))]
    pub nats_duplicate_window_seconds: u64,
}

// What the log looks like (its filter is RUST_LOG).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logs")]
pub struct LogArgs {
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}
