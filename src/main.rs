use anyhow::Context;
use tracing_subscriber::EnvFilter;

use minibank::application::Actor;
use minibank::application::commands::{Command as AppCommand, CommandMeta, PlainPassword, RegisterClient};
use minibank::application::live::FeedConfig;
use minibank::bootstrap::{self, Settings};
use minibank::config::{AdminArgs, Cli, Command, DatabaseArgs, LogFormat, NatsArgs, ServeArgs, SqliteSynchronousArg};
use minibank::domain::value::{Email, PersonName, Role, Username};
use minibank::http::websocket::WsConfig;
use minibank::http::{ConnectionSettings, HttpSettings};

/// mimalloc instead of the system's allocator: a GraphQL answer is thousands
/// of small allocations (values, names, futures), and glibc's malloc and free
/// were about a fifth of the read path's instructions; mimalloc takes 10-12%
/// off a query's instructions and 15% off a live delivery's CPU, for about
/// 20 MB more at idle (measured with callgrind and loadgen, see the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use minibank::infrastructure::PoolSettings;
use minibank::infrastructure::database::SqliteSynchronous;
use minibank::infrastructure::nats::NatsSettings;
use std::time::Duration;

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Colours only for a person at a terminal, not in files or log collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn settings(args: ServeArgs) -> Settings {
    let ServeArgs { server, database, tokens, commands, live, websocket, nats, log: _ } = args;
    Settings {
        listen: server.listen,
        pool: pool(&database),
        database_url: database.database_url,
        jwt_secret: tokens.jwt_secret,
        jwt_ttl: chrono::Duration::seconds(tokens.jwt_ttl_seconds),
        http: HttpSettings {
            cors_origins: server.cors_origins,
            websocket: WsConfig {
                init_timeout: Duration::from_secs(websocket.ws_init_timeout_seconds.max(1)),
                max_subscriptions: websocket.ws_max_subscriptions.max(1),
                ping_interval: Duration::from_secs(websocket.ws_ping_seconds.max(1)),
                idle_timeout: Duration::from_secs(websocket.ws_ping_seconds.max(1) * 3),
                anonymous_idle_timeout: Duration::from_secs(websocket.ws_anonymous_idle_seconds),
                ..WsConfig::default()
            },
            connections: ConnectionSettings {
                max_connections: usize::try_from(server.max_connections).unwrap_or(usize::MAX),
                max_per_peer: usize::try_from(server.max_connections_per_peer).unwrap_or(usize::MAX),
                header_read_timeout: Duration::from_secs(server.header_read_timeout_seconds),
            },
            ..HttpSettings::default()
        },
        snapshot_every: commands.snapshot_every,
        aggregate_cache: commands.aggregate_cache,
        shutdown_grace: Duration::from_secs(server.shutdown_grace_seconds),
        metrics_listen: server.metrics_listen,
        feed: FeedConfig {
            buffer_capacity: live.feed_buffer.max(1),
            poll_interval: Duration::from_millis(live.feed_poll_ms.max(10)),
            max_lag: (live.subscription_max_lag > 0).then_some(live.subscription_max_lag),
            ..FeedConfig::default()
        },
        process_transfers: commands.transfer_process,
        #[cfg(debug_assertions)]
        crash_after: commands.crash_after,
        nats: nats_settings(nats),
    }
}

/// Settings for a one-shot subcommand: its database (and broker), defaults
/// for the rest. It leaves transfers in flight to the servers.
fn one_shot_settings(database: DatabaseArgs, nats: Option<NatsArgs>) -> Settings {
    Settings {
        pool: pool(&database),
        nats: nats.and_then(nats_settings),
        process_transfers: false,
        ..Settings::for_database(database.database_url)
    }
}

fn pool(database: &DatabaseArgs) -> PoolSettings {
    PoolSettings {
        max_connections: database.database_max_connections,
        acquire_timeout: Duration::from_secs(database.database_acquire_timeout_seconds.max(1)),
        statement_timeout: Duration::from_millis(database.database_statement_timeout_ms.max(100)),
        sqlite_synchronous: match database.sqlite_synchronous {
            SqliteSynchronousArg::Full => SqliteSynchronous::Full,
            SqliteSynchronousArg::Normal => SqliteSynchronous::Normal,
        },
    }
}

fn nats_settings(nats: NatsArgs) -> Option<NatsSettings> {
    nats.nats_url.map(|url| NatsSettings {
        url,
        subject_prefix: nats.nats_subject_prefix,
        stream: nats.nats_stream,
        duplicate_window: Duration::from_secs(nats.nats_duplicate_window_seconds),
        max_age: (nats.nats_stream_max_age_hours > 0)
            .then(|| Duration::from_secs(nats.nats_stream_max_age_hours.saturating_mul(3600))),
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse_args();
    init_tracing(cli.command.log_format());
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // What went wrong and why, in words: a wrong flag or an absent
            // database is no place for a stack backtrace, even with RUST_BACKTRACE set.
            eprintln!("Error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => bootstrap::serve(settings(*args)).await,
        Command::Migrate { database, nats, log: _ } => {
            bootstrap::build_context(&one_shot_settings(database, Some(nats))).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::ExportSchema { output: None } => {
            print!("{}", minibank::graphql::sdl());
            Ok(())
        }
        Command::ExportSchema { output: Some(path) } => std::fs::write(&path, minibank::graphql::sdl())
            .with_context(|| format!("Failed to write {}", path.display())),
        Command::RebuildProjections { projection, batch_size, database, log: _ } => {
            minibank::rebuild::run(&one_shot_settings(database, None), projection.as_deref(), batch_size).await
        }
        Command::CreateAdmin { admin, database, log: _ } => {
            create_admin(admin, one_shot_settings(database, None)).await
        }
    }
}

async fn create_admin(admin: AdminArgs, settings: Settings) -> anyhow::Result<()> {
    let command = RegisterClient {
        username: Username::new(&admin.username)?,
        email: Email::new(&admin.email)?,
        password: PlainPassword::new(&admin.password)?,
        first_name: PersonName::new("firstName", &admin.first_name)?,
        last_name: PersonName::new("lastName", &admin.last_name)?,
        is_company: false,
        role: Role::Admin,
    };
    let username = command.username.as_str().to_string();
    let ctx = bootstrap::build_context(&settings).await?;
    let events = ctx
        .bus
        .dispatch(AppCommand::RegisterClient(command), CommandMeta::request(Actor::System, None))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = events.first().map(|e| e.stream_id.to_string()).unwrap_or_default();
    println!("admin {username} registered with id {id}");
    Ok(())
}
