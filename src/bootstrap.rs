//! The one place that knows every concrete type: builds the adapters, wires
//! them into the application, and serves.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use rand::RngCore;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::application::handlers::{AfterCommit, HandlerServices};
use crate::application::live::{FeedConfig, FeedNotifier, LiveFeed};
use crate::application::ports::{AccountReadModel, ClientReadModel, EventStore, TransferReadModel};
use crate::application::process::TransferProcess;
use crate::application::relay::{EventRelay, RelayLease, RelaySettings, SoleLease};
use crate::application::stream_locks::StreamLocks;
use crate::application::{AppContext, MessageBus, Snapshots};
use crate::http::metrics::{MetricsEndpoint, Samplers};
use crate::http::websocket::GoingAway;
use crate::http::{HttpSettings, router};
use crate::infrastructure::database::{DatabaseHealth, PoolSettings, connect, connect_readers, migrate};
use crate::infrastructure::database::{Dialect, InlineReads};
use crate::infrastructure::event_store::SeaOrmEventStore;
use crate::infrastructure::leadership::PgAdvisoryLease;
use crate::infrastructure::nats::{self, NatsSettings};
use crate::infrastructure::notifications::{postgres_waker, spawn_listener};
use crate::infrastructure::pool_gauges;
use crate::infrastructure::projections::{self, Projection, rebuild::Rebuilder};
use crate::infrastructure::read_models::{
    SeaOrmAccountReadModel, SeaOrmCheckpoints, SeaOrmClientReadModel, SeaOrmTransferReadModel,
};
use crate::infrastructure::security::{Argon2Hasher, JwtTokens, RandomAccountNumbers};
use crate::infrastructure::snapshot_store::SeaOrmSnapshotStore;

/// How often a command handler decides again after losing a race to another writer.
const MAX_COMMAND_ATTEMPTS: u32 = 20;

/// Snapshot every this many events unless configured otherwise.
pub const DEFAULT_SNAPSHOT_EVERY: u32 = 100;

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub pool: PoolSettings,
    pub jwt_secret: Option<String>,
    pub jwt_ttl: chrono::Duration,
    pub http: HttpSettings,
    pub feed: FeedConfig,
    /// Run the transfer process manager in this process (tests may pause it).
    pub process_transfers: bool,
    /// Test-only (debug builds): abort right after this named step commits.
    #[cfg(debug_assertions)]
    pub crash_after: Option<String>,
    /// Snapshot every N events of a stream; 0 disables snapshots.
    pub snapshot_every: u32,
    /// Aggregates kept in memory between commands; 0 disables the cache.
    pub aggregate_cache: usize,
    /// How long stopping may take: requests in flight finish and websockets
    /// close within it; what is still open then is cut.
    pub shutdown_grace: std::time::Duration,
    /// NATS for other services (events out, commands in, wake-ups between
    /// instances); `None`: no broker.
    pub nats: Option<NatsSettings>,
    /// Also serve `/metrics`, to anyone who can reach it, on this address.
    pub metrics_listen: Option<String>,
}

/// The shutdown grace period unless configured otherwise.
pub const DEFAULT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Settings {
    /// Defaults for a server on `database_url`, listening on a random port.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Settings {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            pool: PoolSettings::default(),
            jwt_secret: None,
            jwt_ttl: chrono::Duration::hours(1),
            http: HttpSettings::default(),
            feed: FeedConfig::default(),
            process_transfers: true,
            #[cfg(debug_assertions)]
            crash_after: None,
            nats: None,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            aggregate_cache: crate::application::aggregate_cache::DEFAULT_CAPACITY,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            metrics_listen: None,
        }
    }
}

fn jwt_secret(configured: Option<&str>) -> Vec<u8> {
    match configured.filter(|s| !s.is_empty()) {
        Some(secret) => secret.as_bytes().to_vec(),
        None => {
            let mut secret = vec![0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            secret
        }
    }
}

/// Said only by the server, the one place tokens are issued: `migrate` or
/// `create-admin` never sign one, so the warning would only mislead there.
fn warn_about_jwt_secret(configured: Option<&str>) {
    match configured.filter(|s| !s.is_empty()) {
        Some(secret) if secret.len() < 32 => {
            tracing::warn!("JWT_SECRET is shorter than 32 bytes; use a long random secret in production")
        }
        Some(_) => {}
        None => tracing::warn!("JWT_SECRET is not set: using a random secret, so tokens will not survive a restart"),
    }
}

/// Connects, migrates and wires the application.
pub async fn build_context(settings: &Settings) -> anyhow::Result<Arc<AppContext>> {
    Ok(build(settings).await?.0)
}

/// The application, and what reads its database pools' use for the metrics.
async fn build(settings: &Settings) -> anyhow::Result<(Arc<AppContext>, Samplers)> {
    crate::http::metrics::install();
    let db = connect(&settings.database_url, &settings.pool).await.context("Failed to connect to the database")?;
    migrate(&db).await.context("Failed to migrate the database")?;
    let reader = connect_readers(&settings.database_url, &settings.pool, &db)
        .await
        .context("Failed to open the database's reader connections")?;
    let pools = match Dialect::of(&db) {
        Dialect::Sqlite => vec![("writer", db.clone()), ("reader", reader.clone())],
        Dialect::Postgres => vec![("main", db.clone())],
    };
    let samplers = Samplers::new(vec![pool_gauges::sampler(pools)]);
    let store = Arc::new(SeaOrmEventStore::new(db.clone(), projections::all()).reading_from(reader.clone()));
    let hasher = Arc::new(Argon2Hasher);
    let snapshots = Snapshots::new(Arc::new(SeaOrmSnapshotStore::new(db.clone())), settings.snapshot_every)
        .with_memory(settings.aggregate_cache);
    let feed = LiveFeed::start(store.clone(), settings.feed.clone()).await.context("Failed to start the live feed")?;
    let mut bus = message_bus(BusParts {
        store: store.clone(),
        snapshots: snapshots.clone(),
        max_attempts: MAX_COMMAND_ATTEMPTS,
        after_commit: fault_injection(settings),
    });
    bus.subscribe(Arc::new(FeedNotifier(feed.clone())));
    let instance = uuid::Uuid::now_v7();
    let shares_database = Dialect::of(&db) == Dialect::Postgres;
    let nats = match &settings.nats {
        Some(settings) => Some((connect_nats(settings).await?, settings)),
        None => None,
    };
    if let Some((client, nats)) = &nats {
        // Through NATS, other instances learn of this one's commits, and this one of theirs.
        bus.subscribe(Arc::new(nats::nats_waker(client.clone(), nats.wake_subject(), instance)));
        nats::spawn_wake_listener(client.clone(), nats.wake_subject(), instance, feed.clone());
    } else if shares_database {
        // Other instances learn of this one's commits, and this one of theirs.
        bus.subscribe(Arc::new(postgres_waker(db.clone(), instance)));
        spawn_listener(settings.database_url.clone(), instance, feed.clone());
    }
    let bus = Arc::new(bus);
    let checkpoints = Arc::new(SeaOrmCheckpoints::new(db.clone()));
    let (clients, accounts, transfers) = read_models(&reader).await?;
    if settings.process_transfers {
        tokio::spawn(TransferProcess::new(bus.clone(), feed.clone(), checkpoints.clone()).run());
    }
    let ctx = Arc::new(AppContext {
        bus,
        store,
        snapshots,
        clients,
        accounts,
        transfers,
        checkpoints,
        hasher,
        tokens: Arc::new(JwtTokens::new(&jwt_secret(settings.jwt_secret.as_deref()), settings.jwt_ttl)),
        login_throttle: crate::application::login_throttle::LoginThrottle::default(),
        health: Arc::new(DatabaseHealth(db)),
        feed,
        account_openings: Default::default(),
    });
    if let Some((client, nats)) = nats {
        start_integration(client, nats, &ctx, &settings.database_url, shares_database);
    }
    Ok((ctx, samplers))
}

/// The read models of the queries, over `reader`; on a SQLite file, they
/// read their rows on the caller's thread (see [`InlineReads`]).
async fn read_models(reader: &DatabaseConnection) -> anyhow::Result<ReadModels> {
    let clients = SeaOrmClientReadModel::new(reader.clone());
    let accounts = SeaOrmAccountReadModel::new(reader.clone());
    let transfers = SeaOrmTransferReadModel::new(reader.clone());
    if Dialect::of(reader) == Dialect::Sqlite
        && let Some(inline) = InlineReads::beside(reader).await.context("Failed to open inline SQLite readers")?
    {
        let inline = Arc::new(inline);
        return Ok((
            Arc::new(clients.with_inline_reads(inline.clone())),
            Arc::new(accounts.with_inline_reads(inline.clone())),
            Arc::new(transfers.with_inline_reads(inline)),
        ));
    }
    Ok((Arc::new(clients), Arc::new(accounts), Arc::new(transfers)))
}

type ReadModels = (Arc<dyn ClientReadModel>, Arc<dyn AccountReadModel>, Arc<dyn TransferReadModel>);

/// What a message bus is built from: the server gives its database's store
/// and snapshots, the bus tests in-memory ones.
pub struct BusParts {
    pub store: Arc<dyn EventStore>,
    pub snapshots: Snapshots,
    /// How often a command handler decides again after losing a race.
    pub max_attempts: u32,
    /// A test hook told of each committed step of a transfer (see [`AfterCommit`]).
    pub after_commit: Option<Arc<dyn AfterCommit>>,
}

/// The message bus over `parts`, with the password hasher and the account
/// numbers of production; the caller subscribes its event handlers.
pub fn message_bus(parts: BusParts) -> MessageBus {
    MessageBus::new(HandlerServices {
        store: parts.store,
        hasher: Arc::new(Argon2Hasher),
        numbers: Arc::new(RandomAccountNumbers),
        locks: StreamLocks::default(),
        snapshots: parts.snapshots,
        max_attempts: parts.max_attempts,
        after_commit: parts.after_commit,
    })
}

/// What `rebuild-projections` works with: the rebuilder over the configured
/// database, and the projections chosen (`only` that one, or all of them;
/// an unknown name is refused before the database is opened).
pub async fn rebuilder(
    settings: &Settings,
    only: Option<&str>,
    batch: u64,
) -> anyhow::Result<(Rebuilder, Vec<Arc<dyn Projection>>)> {
    let selected: Vec<_> =
        projections::all().into_iter().filter(|p| only.is_none_or(|name| p.name() == name)).collect();
    if selected.is_empty() {
        let known: Vec<_> = projections::all().iter().map(|p| p.name()).collect();
        anyhow::bail!("unknown projection '{}'; known: {}", only.unwrap_or_default(), known.join(", "));
    }
    let db = connect(&settings.database_url, &settings.pool).await.context("Failed to connect to the database")?;
    migrate(&db).await.context("Failed to migrate the database")?;
    Ok((Rebuilder::new(db, batch), selected))
}

/// The crash tests' fault injection, when asked for (debug builds only).
#[cfg(debug_assertions)]
fn fault_injection(settings: &Settings) -> Option<Arc<dyn AfterCommit>> {
    settings.crash_after.clone().map(|step| Arc::new(AbortAfter(step)) as Arc<dyn AfterCommit>)
}

/// Release builds have no fault injection.
#[cfg(not(debug_assertions))]
fn fault_injection(_: &Settings) -> Option<Arc<dyn AfterCommit>> {
    None
}

/// Fault injection for the crash tests (`MINIBANK_CRASH_AFTER`, a hidden
/// setting of debug builds): aborts the process right after the named step
/// commits, as a crash would. Wired only when that setting is given.
#[cfg(debug_assertions)]
struct AbortAfter(String);

#[cfg(debug_assertions)]
impl AfterCommit for AbortAfter {
    fn committed(&self, step: &'static str) {
        if self.0 == step {
            eprintln!("fault injection: aborting right after {step}");
            std::process::abort();
        }
    }
}

/// Connects to NATS; when it answers at start, also makes sure of the
/// stream, refusing to start if an existing one does not capture the
/// events' subjects. A broker that is down only delays the integration.
async fn connect_nats(settings: &NatsSettings) -> anyhow::Result<async_nats::Client> {
    settings.validate()?;
    let client = nats::connect(settings).await?;
    let connected = async {
        while client.connection_state() != async_nats::connection::State::Connected {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(NATS_START_WAIT, connected).await.is_err() {
        tracing::warn!(url = settings.url, "NATS does not answer yet; events will be relayed once it does");
        return Ok(client);
    }
    nats::ensure_stream(&nats::jetstream(client.clone()), settings).await.context("Failed to set up NATS")?;
    Ok(client)
}

/// How long the server waits for NATS at start before starting without it.
const NATS_START_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The relay of committed events to JetStream (one instance at a time on a
/// shared database) and the commands other services send by request/reply.
fn start_integration(
    client: async_nats::Client,
    settings: &NatsSettings,
    ctx: &Arc<AppContext>,
    database_url: &str,
    shares_database: bool,
) {
    let lease: Arc<dyn RelayLease> = if shares_database {
        Arc::new(PgAdvisoryLease::new(database_url, &settings.stream, std::time::Duration::from_secs(1)))
    } else {
        Arc::new(SoleLease)
    };
    let broker = Arc::new(nats::JetStreamBroker::new(nats::jetstream(client.clone()), settings.clone()));
    let relay = EventRelay::new(ctx.feed.clone(), ctx.checkpoints.clone(), broker, lease, RelaySettings::default());
    tokio::spawn(relay.run());
    crate::broker::spawn_command_listener(
        client,
        settings,
        ctx.clone(),
        crate::graphql::build_schemas(ctx.clone()).main,
    );
}

/// A server running in the background (tests, embedding).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub ctx: Arc<AppContext>,
    shutdown: Option<oneshot::Sender<()>>,
    /// Tells the websockets to close; closed once every one has.
    going_away: watch::Sender<bool>,
    grace: std::time::Duration,
    task: JoinHandle<std::io::Result<()>>,
    /// Where `/metrics` is served on its own (`Settings::metrics_listen`).
    pub metrics_addr: Option<SocketAddr>,
    metrics_task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, completes every live
    /// operation and closes every websocket with 1001, and waits for all of
    /// that for at most the grace period; then cuts whatever is left.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(metrics) = self.metrics_task.take() {
            metrics.abort();
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = self.going_away.send(true);
        let going_away = &self.going_away;
        let task = &mut self.task;
        let finished = async {
            let served = task.await;
            // Each websocket holds a receiver until it has closed.
            going_away.closed().await;
            served
        };
        match tokio::time::timeout(self.grace, finished).await {
            Ok(served) => served.context("server task panicked")?.context("server failed"),
            Err(_) => {
                self.task.abort();
                tracing::warn!(
                    grace_s = self.grace.as_secs_f64(),
                    "the shutdown grace period ran out: cutting the connections still open"
                );
                Ok(())
            }
        }
    }
}

/// Builds everything and serves on `settings.listen` until `stop`.
pub async fn spawn(settings: Settings) -> anyhow::Result<RunningServer> {
    warn_about_jwt_secret(settings.jwt_secret.as_deref());
    let (ctx, samplers) = build(&settings).await?;
    let metrics = match &settings.metrics_listen {
        Some(listen) => Some(serve_metrics(listen, MetricsEndpoint::new(ctx.clone(), samplers.clone())).await?),
        None => None,
    };
    let listener = TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("Failed to listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let (going_away, announcement) = GoingAway::channel();
    let mut http = settings.http.clone();
    http.websocket.going_away = announcement;
    http.metric_samplers = samplers;
    let app = router(ctx.clone(), &http);
    drop(http);
    let (shutdown, stopped) = oneshot::channel::<()>();
    let connections = settings.http.connections.clone();
    let task = tokio::spawn(crate::http::serve::serve(listener, app, connections, async move {
        let _ = stopped.await;
    }));
    let (metrics_addr, metrics_task) = metrics.unzip();
    Ok(RunningServer {
        addr,
        ctx,
        shutdown: Some(shutdown),
        going_away,
        grace: settings.shutdown_grace,
        task,
        metrics_addr,
        metrics_task,
    })
}

/// `/metrics` alone on `listen`, for a scraper on a private network.
async fn serve_metrics(
    listen: &str,
    endpoint: MetricsEndpoint,
) -> anyhow::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let listener =
        TcpListener::bind(listen).await.with_context(|| format!("Failed to listen for metrics on {listen}"))?;
    let addr = listener.local_addr()?;
    let limits = crate::http::ConnectionSettings { max_connections: 64, max_per_peer: 16, ..Default::default() };
    let task = tokio::spawn(crate::http::serve::serve(
        listener,
        crate::http::metrics::router(endpoint),
        limits,
        std::future::pending(),
    ));
    Ok((addr, task))
}

/// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Listening before the address is announced: a SIGTERM sent as soon as
    // it is must shut down gracefully, not kill the process.
    let signalled = shutdown_signal();
    let server = spawn(settings).await?;
    if let Some(metrics) = server.metrics_addr {
        tracing::info!("metrics at http://{metrics}/metrics");
    }
    tracing::info!("GraphiQL at http://{0}/graphql (POST and websocket on the same path)", server.addr);
    signalled.await;
    let started = std::time::Instant::now();
    tracing::info!(
        grace_s = server.grace.as_secs_f64(),
        "shutting down: no new connections; finishing the requests in flight, closing the websockets"
    );
    server.stop().await?;
    tracing::info!(duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), "shut down");
    Ok(())
}

/// Ctrl-C or SIGTERM, listened for from the call on (an `async fn` would
/// install its handlers only when first polled).
#[cfg(unix)]
fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let listen = |kind: SignalKind, name: &'static str| {
        signal(kind).map_err(|error| tracing::error!(%error, "cannot listen for {name}")).ok()
    };
    let mut interrupt = listen(SignalKind::interrupt(), "Ctrl-C");
    let mut terminate = listen(SignalKind::terminate(), "SIGTERM");
    async fn received(signal: Option<&mut Signal>) {
        match signal {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    async move {
        tokio::select! {
            () = received(interrupt.as_mut()) => {},
            () = received(terminate.as_mut()) => {},
        }
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl Future<Output = ()> {
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
