//! The Account aggregate: a balance in one currency, owned by one client.

mod decide;
#[cfg(test)]
mod tests;

pub use decide::{decide, ensure_receives, evolve};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::value::{AccountNumber, Currency, Description, Money, OverdraftLimit};
use super::{DomainEvent, StreamType, Upcaster};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    Open {
        account_id: Uuid,
        owner_id: Uuid,
        number: AccountNumber,
        currency: Currency,
        overdraft_limit: OverdraftLimit,
    },
    Deposit {
        amount: Money,
        description: Option<Description>,
    },
    Withdraw {
        amount: Money,
        description: Option<Description>,
    },
    ChangeOverdraftLimit {
        limit: OverdraftLimit,
    },
    Close,
    /// The source leg of a transfer: like a withdrawal, and the money is in flight.
    DebitForTransfer {
        transfer_id: Uuid,
        to_account_id: Uuid,
        amount: Money,
        description: Option<Description>,
    },
    /// The destination leg: like a deposit, in the transfer's currency only.
    CreditForTransfer {
        transfer_id: Uuid,
        from_account_id: Uuid,
        amount: Money,
        currency: Currency,
        description: Option<Description>,
    },
    /// The destination refused: the money goes back to the source.
    RefundTransfer {
        transfer_id: Uuid,
        to_account_id: Uuid,
        amount: Money,
        description: Option<Description>,
    },
    /// The destination took it: the money is no longer in flight.
    SettleTransfer {
        transfer_id: Uuid,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountOpened {
    pub account_id: Uuid,
    pub owner_id: Uuid,
    pub number: AccountNumber,
    pub currency: Currency,
    pub overdraft_limit: OverdraftLimit,
}

/// A movement of money; `balance_after` makes every event self-describing.
///
/// Schema version 2 (today's): `{amount, description, balanceAfter}`, with
/// `description` always present (null when none). Version 1, written by older
/// clients, had no `description`; [`add_null_description`] upcasts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyMoved {
    pub amount: Money,
    /// Required in the body (a `deserialize_with` turns off serde's "missing
    /// option is None"), so a v1 body that skipped the upcaster fails loudly.
    #[serde(deserialize_with = "Option::deserialize")]
    pub description: Option<Description>,
    pub balance_after: Decimal,
}

/// One account's side of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferLeg {
    pub transfer_id: Uuid,
    /// The account on the other side.
    pub counterparty_id: Uuid,
    pub amount: Money,
    pub description: Option<Description>,
    pub balance_after: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdraftLimitChanged {
    pub previous_limit: OverdraftLimit,
    pub limit: OverdraftLimit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AccountEvent {
    AccountOpened(AccountOpened),
    MoneyDeposited(MoneyMoved),
    MoneyWithdrawn(MoneyMoved),
    OverdraftLimitChanged(OverdraftLimitChanged),
    AccountClosed {},
    TransferDebited(TransferLeg),
    TransferCredited(TransferLeg),
    TransferRefunded(TransferLeg),
    #[serde(rename_all = "camelCase")]
    TransferSettled {
        transfer_id: Uuid,
    },
}

impl AccountEvent {
    // The stable type names, as stored: the only spelling outside serde's tags.
    pub const ACCOUNT_OPENED: &'static str = "AccountOpened";
    pub const MONEY_DEPOSITED: &'static str = "MoneyDeposited";
    pub const MONEY_WITHDRAWN: &'static str = "MoneyWithdrawn";
    pub const OVERDRAFT_LIMIT_CHANGED: &'static str = "OverdraftLimitChanged";
    pub const ACCOUNT_CLOSED: &'static str = "AccountClosed";
    pub const TRANSFER_DEBITED: &'static str = "TransferDebited";
    pub const TRANSFER_CREDITED: &'static str = "TransferCredited";
    pub const TRANSFER_REFUNDED: &'static str = "TransferRefunded";
    pub const TRANSFER_SETTLED: &'static str = "TransferSettled";
}

/// MoneyDeposited / MoneyWithdrawn v1 → v2: v1 bodies carry no description.
pub fn add_null_description(mut data: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(body) = &mut data {
        body.entry("description").or_insert(serde_json::Value::Null);
    }
    data
}

impl DomainEvent for AccountEvent {
    const STREAM_TYPE: StreamType = StreamType::Account;

    const EVENT_TYPES: &'static [&'static str] = &[
        Self::ACCOUNT_OPENED,
        Self::MONEY_DEPOSITED,
        Self::MONEY_WITHDRAWN,
        Self::OVERDRAFT_LIMIT_CHANGED,
        Self::ACCOUNT_CLOSED,
        Self::TRANSFER_DEBITED,
        Self::TRANSFER_CREDITED,
        Self::TRANSFER_REFUNDED,
        Self::TRANSFER_SETTLED,
    ];

    const UPCASTERS: &'static [Upcaster] = &[
        Upcaster { event_type: Self::MONEY_DEPOSITED, from_version: 1, upcast: add_null_description },
        Upcaster { event_type: Self::MONEY_WITHDRAWN, from_version: 1, upcast: add_null_description },
    ];

    fn event_type(&self) -> &'static str {
        match self {
            AccountEvent::AccountOpened(_) => Self::ACCOUNT_OPENED,
            AccountEvent::MoneyDeposited(_) => Self::MONEY_DEPOSITED,
            AccountEvent::MoneyWithdrawn(_) => Self::MONEY_WITHDRAWN,
            AccountEvent::OverdraftLimitChanged(_) => Self::OVERDRAFT_LIMIT_CHANGED,
            AccountEvent::AccountClosed {} => Self::ACCOUNT_CLOSED,
            AccountEvent::TransferDebited(_) => Self::TRANSFER_DEBITED,
            AccountEvent::TransferCredited(_) => Self::TRANSFER_CREDITED,
            AccountEvent::TransferRefunded(_) => Self::TRANSFER_REFUNDED,
            AccountEvent::TransferSettled { .. } => Self::TRANSFER_SETTLED,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    Open,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Open => "OPEN",
            AccountStatus::Closed => "CLOSED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "OPEN" => Some(AccountStatus::Open),
            "CLOSED" => Some(AccountStatus::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenedAccount {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub number: AccountNumber,
    pub currency: Currency,
    pub balance: Decimal,
    pub overdraft_limit: OverdraftLimit,
    pub status: AccountStatus,
    /// Outgoing transfers debited here but not yet settled or refunded.
    pub transfers_in_flight: u32,
}

impl OpenedAccount {
    /// How much may still be withdrawn: balance + overdraft limit.
    pub fn available(&self) -> Decimal {
        self.balance + self.overdraft_limit.value()
    }
}

/// The state, also as stored in snapshots (see `Aggregate::SNAPSHOT_VERSION`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Account {
    #[default]
    Unopened,
    Opened(OpenedAccount),
}

impl Account {
    pub fn opened(&self) -> Option<&OpenedAccount> {
        match self {
            Account::Opened(a) => Some(a),
            Account::Unopened => None,
        }
    }
}
