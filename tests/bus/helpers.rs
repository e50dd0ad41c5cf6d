use std::sync::Arc;

use minibank::application::commands::{
    CashMovement, CloseAccount, Command, CommandMeta, OpenAccount, PlainPassword, RegisterClient,
};
use minibank::application::handlers::replay;
use minibank::application::ports::{EventFilter, EventStore, RecordedEvent, StreamBound};
use minibank::application::{Actor, AppError, EventHandler, MessageBus, Snapshots};
use minibank::bootstrap::{BusParts, message_bus};
use minibank::domain::account::{Account, OpenedAccount};
use minibank::domain::value::{Currency, Description, Email, Money, OverdraftLimit, PersonName, Role, Username};
use minibank::infrastructure::memory::{InMemoryEventStore, InMemorySnapshotStore};
use rust_decimal::Decimal;
use uuid::Uuid;

pub const MAX_ATTEMPTS: u32 = 5;

/// Every bus test snapshots this often, so every load exercises snapshot + tail.
pub const SNAPSHOT_EVERY: u32 = 3;

pub struct TestApp {
    pub bus: Arc<MessageBus>,
    pub store: Arc<dyn EventStore>,
    pub snapshot_store: Arc<InMemorySnapshotStore>,
    pub snapshots: Snapshots,
}

/// A bus over a fresh in-memory store.
pub fn app() -> TestApp {
    app_with(Arc::new(InMemoryEventStore::new()), vec![], MAX_ATTEMPTS)
}

pub fn app_with(store: Arc<dyn EventStore>, handlers: Vec<Arc<dyn EventHandler>>, max_attempts: u32) -> TestApp {
    app_with_snapshots(store, handlers, max_attempts, SNAPSHOT_EVERY)
}

pub fn app_with_snapshots(
    store: Arc<dyn EventStore>,
    handlers: Vec<Arc<dyn EventHandler>>,
    max_attempts: u32,
    snapshot_every: u32,
) -> TestApp {
    build_app(store, handlers, max_attempts, snapshot_every, 0)
}

/// An "instance" over `store` that keeps up to `capacity` aggregates in memory.
pub fn app_caching(store: Arc<dyn EventStore>, capacity: usize) -> TestApp {
    build_app(store, vec![], MAX_ATTEMPTS, SNAPSHOT_EVERY, capacity)
}

fn build_app(
    store: Arc<dyn EventStore>,
    handlers: Vec<Arc<dyn EventHandler>>,
    max_attempts: u32,
    snapshot_every: u32,
    cached_aggregates: usize,
) -> TestApp {
    let snapshot_store = Arc::new(InMemorySnapshotStore::new());
    let snapshots = Snapshots::new(snapshot_store.clone(), snapshot_every).with_memory(cached_aggregates);
    let mut bus =
        message_bus(BusParts { store: store.clone(), snapshots: snapshots.clone(), max_attempts, after_commit: None });
    for handler in handlers {
        bus.subscribe(handler);
    }
    TestApp { bus: Arc::new(bus), store, snapshot_store, snapshots }
}

pub fn registration(username: &str, email: &str, role: Role) -> RegisterClient {
    RegisterClient {
        username: Username::new(username).unwrap(),
        email: Email::new(email).unwrap(),
        password: PlainPassword::new("correct horse battery").unwrap(),
        first_name: PersonName::new("firstName", "Ada").unwrap(),
        last_name: PersonName::new("lastName", "Lovelace").unwrap(),
        is_company: false,
        role,
    }
}

pub fn money(amount: i64) -> Money {
    Money::new(Decimal::from(amount)).unwrap()
}

pub fn move_money(account_id: Uuid, amount: i64, expected_version: Option<i32>) -> CashMovement {
    CashMovement {
        account_id,
        amount: money(amount),
        description: Description::optional(Some("test")).unwrap(),
        expected_version,
    }
}

pub fn open_account(owner_id: Option<Uuid>, overdraft: i64) -> OpenAccount {
    OpenAccount {
        owner_id,
        currency: Currency::new("EUR").unwrap(),
        overdraft_limit: OverdraftLimit::new(Decimal::from(overdraft)).unwrap(),
    }
}

pub fn close(account_id: Uuid, expected_version: Option<i32>) -> Command {
    Command::CloseAccount(CloseAccount { account_id, expected_version })
}

impl TestApp {
    pub async fn run(&self, actor: Actor, command: Command) -> Result<Vec<RecordedEvent>, AppError> {
        self.bus.dispatch(command, CommandMeta::request(actor, None)).await
    }

    /// Registers a client as an anonymous visitor (the System for admins).
    pub async fn register(&self, username: &str, role: Role) -> Actor {
        let registrar = match role {
            Role::Admin => Actor::System,
            Role::Customer => Actor::Anonymous,
        };
        let email = format!("{username}@example.com");
        let events = self.run(registrar, Command::RegisterClient(registration(username, &email, role))).await.unwrap();
        Actor::Client { id: events[0].stream_id, role }
    }

    /// Opens an EUR account for the actor itself, without overdraft.
    pub async fn open(&self, owner: Actor) -> Uuid {
        let events = self.run(owner, Command::OpenAccount(open_account(None, 0))).await.unwrap();
        events[0].stream_id
    }

    pub async fn deposit(&self, actor: Actor, account_id: Uuid, amount: i64) {
        self.run(actor, Command::Deposit(move_money(account_id, amount, None))).await.unwrap();
    }

    /// The account as replayed from its whole stream (no snapshot).
    pub async fn account(&self, account_id: Uuid) -> OpenedAccount {
        let loaded = replay::<Account>(self.store.as_ref(), account_id, StreamBound::All).await.unwrap();
        loaded.state.opened().cloned().expect("the account is open")
    }

    pub async fn balance(&self, account_id: Uuid) -> Decimal {
        self.account(account_id).await.balance
    }

    pub async fn version(&self, account_id: Uuid) -> i32 {
        let events = self.store.read_stream(account_id, StreamBound::All).await.unwrap();
        events.last().map_or(0, |e| e.version)
    }

    pub async fn event_count(&self) -> u64 {
        self.store.count(&EventFilter::default()).await.unwrap()
    }

    pub async fn all_events(&self) -> Vec<RecordedEvent> {
        self.store.read_all(0, 10_000, &EventFilter::default()).await.unwrap()
    }
}

/// `deposits` deposits of 1 into each of `accounts`, one writer per account,
/// all at once; returns when every one is committed.
pub async fn deposit_at_once(app: &Arc<TestApp>, owner: Actor, accounts: &[Uuid], deposits: usize) {
    let writers: Vec<_> = accounts
        .iter()
        .map(|&account| {
            let app = app.clone();
            tokio::spawn(async move {
                for _ in 0..deposits {
                    app.deposit(owner, account, 1).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
}
