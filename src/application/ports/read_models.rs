use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::RecordedEvent;
use crate::domain::account::AccountStatus;
use crate::domain::transfer::TransferStatus;
use crate::domain::value::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientView {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_company: bool,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub id: Uuid,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub id: Uuid,
    pub number: String,
    pub owner_id: Uuid,
    pub currency: String,
    pub balance: Decimal,
    pub overdraft_limit: Decimal,
    pub status: AccountStatus,
    pub version: i32,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Global position of the last event applied to this row.
    pub last_position: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    Deposit,
    Withdrawal,
    TransferIn,
    TransferOut,
    TransferRefund,
}

impl TransactionKind {
    pub const ALL: [TransactionKind; 5] = [
        TransactionKind::Deposit,
        TransactionKind::Withdrawal,
        TransactionKind::TransferIn,
        TransactionKind::TransferOut,
        TransactionKind::TransferRefund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Deposit => "DEPOSIT",
            TransactionKind::Withdrawal => "WITHDRAWAL",
            TransactionKind::TransferIn => "TRANSFER_IN",
            TransactionKind::TransferOut => "TRANSFER_OUT",
            TransactionKind::TransferRefund => "TRANSFER_REFUND",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// One movement of money on one account, with the running balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionView {
    /// The id of the event that recorded it.
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: TransactionKind,
    pub amount: Decimal,
    pub balance_after: Decimal,
    pub description: Option<String>,
    pub transfer_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub position: i64,
    pub version: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountListFilter {
    pub owner_id: Option<Uuid>,
    pub status: Option<AccountStatus>,
}

/// Clients ordered by registration; the page cursor is the registration position.
#[async_trait]
pub trait ClientReadModel: Send + Sync {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<ClientView>>;
    /// The clients of these ids that exist, in one statement.
    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<ClientView>>;
    /// By username or e-mail, case-insensitively.
    async fn credentials(&self, login: &str) -> anyhow::Result<Option<ClientCredentials>>;
    /// `search` matches username, e-mail, first or last name (case-insensitive substring).
    async fn list(&self, search: Option<&str>, page: &PageRequest) -> anyhow::Result<Page<ClientView>>;
}

/// Accounts ordered by opening (cursor: the opening position); transactions
/// newest first (cursor: the account stream version).
#[async_trait]
pub trait AccountReadModel: Send + Sync {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<AccountView>>;
    async fn by_number(&self, number: &str) -> anyhow::Result<Option<AccountView>>;
    async fn list(&self, filter: &AccountListFilter, page: &PageRequest) -> anyhow::Result<Page<AccountView>>;
    async fn ids_owned_by(&self, owner_id: Uuid) -> anyhow::Result<Vec<Uuid>>;
    async fn transactions(&self, account_id: Uuid, page: &PageRequest) -> anyhow::Result<Page<TransactionView>>;

    // One statement per call however many ids, for the levels of a nested
    // query; each id given gets an entry (an empty page when it has nothing).

    /// The accounts of these ids that exist.
    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<AccountView>>;
    /// The same page of each owner's accounts (its total in a second statement).
    async fn pages_by_owner(
        &self,
        owner_ids: &[Uuid],
        page: &PageRequest,
    ) -> anyhow::Result<HashMap<Uuid, Page<AccountView>>>;
    /// The same page of each account's transactions (its total in a second statement).
    async fn transaction_pages(
        &self,
        account_ids: &[Uuid],
        page: &PageRequest,
    ) -> anyhow::Result<HashMap<Uuid, Page<TransactionView>>>;
    /// Up to `limit` events of each account's own stream after `after_version`, oldest first.
    async fn event_pages(
        &self,
        account_ids: &[Uuid],
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<HashMap<Uuid, Vec<RecordedEvent>>>;
}

/// Is the backing store reachable?
#[async_trait]
pub trait HealthCheck: Send + Sync {
    async fn ready(&self) -> anyhow::Result<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferView {
    pub id: Uuid,
    pub from_account_id: Uuid,
    pub to_account_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub description: Option<String>,
    pub status: TransferStatus,
    /// Why it failed: the contract's code of the refusal, e.g. ACCOUNT_CLOSED.
    pub failure_reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait TransferReadModel: Send + Sync {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<TransferView>>;
    /// The transfers of these ids that exist, in one statement.
    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<TransferView>>;
    /// Transfers from or to any of these accounts.
    async fn ids_involving(&self, account_ids: &[Uuid]) -> anyhow::Result<Vec<Uuid>>;
}

/// How far one reader of the log (a projection, a process manager, or a
/// rebuild in progress) has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub name: String,
    pub position: i64,
    /// The progress of a rebuild of projection `name` into shadow tables.
    pub rebuilding: bool,
    /// A projection applied inside every commit's own transaction: it is at
    /// the head of the log by construction, so no position is kept for it
    /// (`position` is 0 here; queries report the head).
    pub inline: bool,
}

/// How far a reader of the log (a process manager) has got, kept in the store.
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    async fn position(&self, name: &str) -> anyhow::Result<i64>;
    /// Moves forward only.
    async fn advance(&self, name: &str, position: i64) -> anyhow::Result<()>;
    /// Every checkpoint by name (rebuilds after their projection), also the
    /// service's readers that have none yet, at 0.
    async fn all(&self) -> anyhow::Result<Vec<Checkpoint>>;
}
