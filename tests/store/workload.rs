//! A bank in use: the real application context on a test database, and
//! random commands through its bus (refusals included), fast.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minibank::application::commands::{
    CashMovement, ChangeOverdraftLimit, CloseAccount, Command, CommandMeta, OpenAccount, PlainPassword, RegisterClient,
    RequestTransfer,
};
use minibank::application::ports::RecordedEvent;
use minibank::application::{Actor, AppContext, AppError};
use minibank::bootstrap::{Settings, build_context};
use minibank::domain::value::{Currency, Description, Email, Money, OverdraftLimit, PersonName, Role, Username};
use minibank::infrastructure::entities::{account, account_transaction, client, projection_checkpoint, transfer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

pub struct Bank {
    pub ctx: Arc<AppContext>,
    admin: Actor,
    customers: Vec<Actor>,
    /// Every account with its owner.
    accounts: Mutex<Vec<(Uuid, Actor)>>,
}

/// What the commands that went through recorded.
#[derive(Default)]
pub struct Outcome {
    pub events: Vec<RecordedEvent>,
    pub succeeded: usize,
    pub refused: usize,
}

impl Outcome {
    pub fn add(&mut self, other: Outcome) {
        self.events.extend(other.events);
        self.succeeded += other.succeeded;
        self.refused += other.refused;
    }
}

impl Bank {
    /// The real context (bus, SeaORM store with every projection, transfer
    /// process) on `url`, with an admin, `customers` customers and two EUR
    /// accounts each (every fourth customer also has a USD one).
    pub async fn open(url: &str, customers: usize) -> Arc<Bank> {
        let ctx = build_context(&Settings::for_database(url)).await.unwrap();
        let admin = register(&ctx, "admin", Role::Admin).await;
        let mut bank = Bank { ctx, admin, customers: Vec::new(), accounts: Mutex::new(Vec::new()) };
        for i in 0..customers {
            let customer = register(&bank.ctx, &format!("customer_{i}"), Role::Customer).await;
            bank.customers.push(customer);
            let currencies: &[&str] = if i % 4 == 0 { &["EUR", "EUR", "USD"] } else { &["EUR", "EUR"] };
            for currency in currencies {
                bank.open_account(customer, currency).await.unwrap();
            }
        }
        Arc::new(bank)
    }

    async fn open_account(&self, owner: Actor, currency: &str) -> Result<(), AppError> {
        let command = OpenAccount {
            owner_id: None,
            currency: Currency::new(currency).unwrap(),
            overdraft_limit: OverdraftLimit::new(Decimal::ZERO).unwrap(),
        };
        let events = self.dispatch(owner, Command::OpenAccount(command)).await?;
        self.accounts.lock().unwrap().push((events[0].stream_id, owner));
        Ok(())
    }

    async fn dispatch(&self, actor: Actor, command: Command) -> Result<Vec<RecordedEvent>, AppError> {
        self.ctx.bus.dispatch(command, CommandMeta::request(actor, None)).await
    }

    /// `count` random commands on `tasks` concurrent tasks.
    pub async fn run(self: &Arc<Self>, count: usize, tasks: usize, seed: u64) -> Outcome {
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                let bank = self.clone();
                let share = count / tasks + usize::from(task < count % tasks);
                tokio::spawn(async move { bank.random_commands(share, seed.wrapping_add(task as u64)).await })
            })
            .collect();
        let mut outcome = Outcome::default();
        for handle in handles {
            outcome.add(handle.await.unwrap());
        }
        outcome
    }

    /// Random commands until `count` were tried; refusals are part of the mix.
    pub async fn random_commands(&self, count: usize, seed: u64) -> Outcome {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut outcome = Outcome::default();
        for _ in 0..count {
            match self.random_command(&mut rng).await {
                Ok(events) => {
                    outcome.succeeded += 1;
                    outcome.events.extend(events);
                }
                Err(AppError::Unexpected(error)) => panic!("a command failed unexpectedly: {error:#}"),
                Err(_) => outcome.refused += 1,
            }
        }
        outcome
    }

    async fn random_command(&self, rng: &mut StdRng) -> Result<Vec<RecordedEvent>, AppError> {
        let (account_id, owner) = self.any_account(rng);
        let roll = rng.random_range(0..100);
        let command = match roll {
            0..40 => Command::Deposit(moving(account_id, rng.random_range(1..50_000))),
            40..62 => Command::Withdraw(moving(account_id, rng.random_range(1..40_000))),
            62..84 => {
                let (to_account_id, _) = self.any_account(rng);
                Command::RequestTransfer(RequestTransfer {
                    from_account_id: account_id,
                    to_account_id,
                    amount: cents(rng.random_range(1..30_000)),
                    description: Description::optional(Some("rent")).unwrap(),
                })
            }
            84..92 => {
                let limit = OverdraftLimit::new(Decimal::new(rng.random_range(0..300), 0)).unwrap();
                let command = ChangeOverdraftLimit { account_id, limit, expected_version: None };
                return self.dispatch(self.admin, Command::ChangeOverdraftLimit(command)).await;
            }
            92..95 => return self.empty_and_close(account_id, owner).await,
            _ => {
                let owner = self.customers[rng.random_range(0..self.customers.len())];
                return self.open_account(owner, "EUR").await.map(|()| Vec::new());
            }
        };
        self.dispatch(owner, command).await
    }

    /// Takes the balance out (or puts the debt back) and closes; refused when
    /// the balance moved meanwhile or money is in flight.
    async fn empty_and_close(&self, account_id: Uuid, owner: Actor) -> Result<Vec<RecordedEvent>, AppError> {
        let balance = self.ctx.accounts.get(account_id).await?.map_or(Decimal::ZERO, |a| a.balance);
        let mut events = Vec::new();
        if balance != Decimal::ZERO {
            let amount = Money::new(balance.abs()).unwrap();
            let moved = CashMovement { account_id, amount, description: None, expected_version: None };
            let command = if balance > Decimal::ZERO { Command::Withdraw(moved) } else { Command::Deposit(moved) };
            events.extend(self.dispatch(owner, command).await?);
        }
        let close = CloseAccount { account_id, expected_version: None };
        events.extend(self.dispatch(owner, Command::CloseAccount(close)).await?);
        Ok(events)
    }

    fn any_account(&self, rng: &mut StdRng) -> (Uuid, Actor) {
        let accounts = self.accounts.lock().unwrap();
        accounts[rng.random_range(0..accounts.len())]
    }

    /// Waits until the transfer process has settled every transfer.
    pub async fn settled(&self, db: &DatabaseConnection) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let pending =
                transfer::Entity::find().filter(transfer::Column::Status.eq("PENDING")).count(db).await.unwrap();
            if pending == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "{pending} transfers still pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn register(ctx: &AppContext, username: &str, role: Role) -> Actor {
    let command = RegisterClient {
        username: Username::new(username).unwrap(),
        email: Email::new(&format!("{username}@example.com")).unwrap(),
        password: PlainPassword::new("correct horse battery").unwrap(),
        first_name: PersonName::new("firstName", "Ada").unwrap(),
        last_name: PersonName::new("lastName", "Lovelace").unwrap(),
        is_company: false,
        role,
    };
    let registrar = if role == Role::Admin { Actor::System } else { Actor::Anonymous };
    let events =
        ctx.bus.dispatch(Command::RegisterClient(command), CommandMeta::request(registrar, None)).await.unwrap();
    Actor::Client { id: events[0].stream_id, role }
}

fn cents(amount: i64) -> Money {
    Money::new(Decimal::new(amount, 2)).unwrap()
}

fn moving(account_id: Uuid, amount: i64) -> CashMovement {
    CashMovement {
        account_id,
        amount: cents(amount),
        description: Description::optional(Some("test")).unwrap(),
        expected_version: None,
    }
}

/// Every row of the four read-model tables and the projections' checkpoints
/// (not the transfer process's: it moves on its own), in a stable order.
#[derive(Debug, PartialEq)]
pub struct Dump {
    pub clients: Vec<client::Model>,
    pub accounts: Vec<account::Model>,
    pub transactions: Vec<account_transaction::Model>,
    pub transfers: Vec<transfer::Model>,
    pub checkpoints: Vec<projection_checkpoint::Model>,
}

pub async fn dump(db: &DatabaseConnection) -> Dump {
    Dump {
        clients: client::Entity::find().order_by_asc(client::Column::Id).all(db).await.unwrap(),
        accounts: account::Entity::find().order_by_asc(account::Column::Id).all(db).await.unwrap(),
        transactions: account_transaction::Entity::find()
            .order_by_asc(account_transaction::Column::Id)
            .all(db)
            .await
            .unwrap(),
        transfers: transfer::Entity::find().order_by_asc(transfer::Column::Id).all(db).await.unwrap(),
        checkpoints: projection_checkpoint::Entity::find()
            .filter(projection_checkpoint::Column::Name.ne("transfer_process"))
            .order_by_asc(projection_checkpoint::Column::Name)
            .all(db)
            .await
            .unwrap(),
    }
}
