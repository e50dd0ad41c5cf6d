//! The Account aggregate: a balance in one currency, owned by one client.

mod decide;
#[cfg(test)]
mod tests;

pub use decide::{decide, evolve};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::value::{AccountNumber, Currency, Description, Money, OverdraftLimit};
use super::{DomainEvent, StreamType};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyMoved {
    pub amount: Money,
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

impl DomainEvent for AccountEvent {
    const STREAM_TYPE: StreamType = StreamType::Account;

    fn event_type(&self) -> &'static str {
        match self {
            AccountEvent::AccountOpened(_) => "AccountOpened",
            AccountEvent::MoneyDeposited(_) => "MoneyDeposited",
            AccountEvent::MoneyWithdrawn(_) => "MoneyWithdrawn",
            AccountEvent::OverdraftLimitChanged(_) => "OverdraftLimitChanged",
            AccountEvent::AccountClosed {} => "AccountClosed",
            AccountEvent::TransferDebited(_) => "TransferDebited",
            AccountEvent::TransferCredited(_) => "TransferCredited",
            AccountEvent::TransferRefunded(_) => "TransferRefunded",
            AccountEvent::TransferSettled { .. } => "TransferSettled",
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

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
