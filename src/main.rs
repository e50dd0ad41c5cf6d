use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use minibank::application::Actor;
use minibank::application::commands::{Command as AppCommand, CommandMeta, PlainPassword, RegisterClient};
use minibank::application::live::FeedConfig;
use minibank::bootstrap::{self, Settings};
use minibank::config::{Cli, Command, LogFormat, SettingsArgs, SqliteSynchronousArg};
use minibank::domain::value::{Email, PersonName, Role, Username};
use minibank::http::websocket::WsConfig;
use minibank::http::{ConnectionSettings, HttpSettings};
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

fn settings(args: SettingsArgs) -> Settings {
    Settings {
        listen: args.listen,
        database_url: args.database_url,
        pool: PoolSettings {
            max_connections: args.database_max_connections,
            acquire_timeout: Duration::from_secs(args.database_acquire_timeout_seconds.max(1)),
            statement_timeout: Duration::from_millis(args.database_statement_timeout_ms.max(100)),
            sqlite_synchronous: match args.sqlite_synchronous {
                SqliteSynchronousArg::Full => SqliteSynchronous::Full,
                SqliteSynchronousArg::Normal => SqliteSynchronous::Normal,
            },
        },
        jwt_secret: args.jwt_secret,
        jwt_ttl: chrono::Duration::seconds(args.jwt_ttl_seconds),
        http: HttpSettings {
            cors_origins: args.cors_origins,
            websocket: WsConfig {
                init_timeout: Duration::from_secs(args.ws_init_timeout_seconds.max(1)),
                max_subscriptions: args.ws_max_subscriptions.max(1),
                ping_interval: Duration::from_secs(args.ws_ping_seconds.max(1)),
                idle_timeout: Duration::from_secs(args.ws_ping_seconds.max(1) * 3),
                anonymous_idle_timeout: Duration::from_secs(args.ws_anonymous_idle_seconds),
                ..WsConfig::default()
            },
            connections: ConnectionSettings {
                max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
                max_per_peer: usize::try_from(args.max_connections_per_peer).unwrap_or(usize::MAX),
                header_read_timeout: Duration::from_secs(args.header_read_timeout_seconds),
            },
            ..HttpSettings::default()
        },
        snapshot_every: args.snapshot_every,
        aggregate_cache: args.aggregate_cache,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_seconds),
        metrics_listen: args.metrics_listen,
        feed: FeedConfig {
            buffer_capacity: args.feed_buffer.max(1),
            poll_interval: Duration::from_millis(args.feed_poll_ms.max(10)),
            max_lag: (args.subscription_max_lag > 0).then_some(args.subscription_max_lag),
            ..FeedConfig::default()
        },
        process_transfers: args.transfer_process,
        crash_after: args.crash_after,
        nats: args.nats_url.map(|url| NatsSettings {
            url,
            subject_prefix: args.nats_subject_prefix,
            stream: args.nats_stream,
            duplicate_window: Duration::from_secs(args.nats_duplicate_window_seconds),
            max_age: (args.nats_stream_max_age_hours > 0)
                .then(|| Duration::from_secs(args.nats_stream_max_age_hours.saturating_mul(3600))),
        }),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.settings.log_format);
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
    let settings = settings(cli.settings);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => bootstrap::serve(settings).await,
        Command::Migrate => {
            bootstrap::build_context(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::ExportSchema { output: None } => {
            print!("{}", minibank::graphql::sdl());
            Ok(())
        }
        Command::ExportSchema { output: Some(path) } => std::fs::write(&path, minibank::graphql::sdl())
            .with_context(|| format!("Failed to write {}", path.display())),
        Command::RebuildProjections { projection, batch_size } => {
            minibank::rebuild::run(&settings, projection.as_deref(), batch_size).await
        }
        Command::CreateAdmin { username, email, password, first_name, last_name } => {
            let command = RegisterClient {
                username: Username::new(&username)?,
                email: Email::new(&email)?,
                password: PlainPassword::new(&password)?,
                first_name: PersonName::new("firstName", &first_name)?,
                last_name: PersonName::new("lastName", &last_name)?,
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
    }
}
