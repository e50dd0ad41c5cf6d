mod account;
mod client;
mod connection;
mod event;
mod payloads;
mod snapshot;
mod transaction;
mod transfer;

pub use account::Account;
pub use client::Client;
pub use connection::{AccountConnection, ClientConnection, EventConnection, TransactionConnection, page_args};
pub use event::{Event, EventFilterInput};
pub use payloads::{AccountPayload, AuthPayload, TransferPayload};
pub use snapshot::AccountSnapshot;
pub use transaction::Transaction;
pub use transfer::Transfer;

use async_graphql::{Enum, ID};
use uuid::Uuid;

use crate::application::AppError;
use crate::domain::DomainError;
use crate::domain::value::quoted;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
/// What a client may do.
#[graphql(remote = "crate::domain::value::Role")]
pub enum Role {
    /// Sees and moves money of its own accounts only.
    Customer,
    /// Operator: sees every client, account and event (created with `minibank create-admin`).
    Admin,
}

/// Whether an account still moves money.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::account::AccountStatus")]
pub enum AccountStatus {
    /// Takes deposits, withdrawals and transfers.
    Open,
    /// Closed with `closeAccount` (only at a zero balance); refuses every movement of money.
    Closed,
}

/// What moved money on an account; `Transaction.amount` is always positive
/// and the kind gives the direction.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::application::ports::TransactionKind")]
pub enum TransactionKind {
    /// Money paid in with `deposit`.
    Deposit,
    /// Money taken out with `withdraw`.
    Withdrawal,
    /// Money received from another account by a transfer.
    TransferIn,
    /// Money sent to another account by a transfer.
    TransferOut,
    /// Money given back to the sender when its transfer failed.
    TransferRefund,
}

/// Parses an `ID` argument; a malformed one is the caller's mistake.
pub fn parse_id(field: &'static str, id: &ID) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| DomainError::invalid(field, format!("{} is not a valid id", quoted(id.as_str()))).into())
}

pub fn to_id(id: Uuid) -> ID {
    ID(id.to_string())
}
