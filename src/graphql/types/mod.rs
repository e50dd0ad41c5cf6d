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
#[graphql(remote = "crate::domain::value::Role")]
pub enum Role {
    Customer,
    Admin,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::account::AccountStatus")]
pub enum AccountStatus {
    Open,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::application::ports::TransactionKind")]
pub enum TransactionKind {
    Deposit,
    Withdrawal,
    TransferIn,
    TransferOut,
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
