//! The Transfer aggregate: money moving between two accounts. Each account
//! decides its own leg; the transfer records the request and the outcome.

mod decide;
#[cfg(test)]
mod tests;

pub use decide::{decide, evolve};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::value::{Currency, Description, Money};
use super::{DomainEvent, StreamType};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferRequested {
    pub transfer_id: Uuid,
    pub from_account_id: Uuid,
    pub to_account_id: Uuid,
    pub amount: Money,
    pub currency: Currency,
    pub description: Option<Description>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferCommand {
    Request(TransferRequested),
    Complete,
    Fail { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum TransferEvent {
    TransferRequested(TransferRequested),
    TransferCompleted {},
    #[serde(rename_all = "camelCase")]
    TransferFailed {
        reason: String,
    },
}

impl TransferEvent {
    pub const TRANSFER_REQUESTED: &'static str = "TransferRequested";
    pub const TRANSFER_COMPLETED: &'static str = "TransferCompleted";
    pub const TRANSFER_FAILED: &'static str = "TransferFailed";
}

impl DomainEvent for TransferEvent {
    const STREAM_TYPE: StreamType = StreamType::Transfer;

    const EVENT_TYPES: &'static [&'static str] =
        &[Self::TRANSFER_REQUESTED, Self::TRANSFER_COMPLETED, Self::TRANSFER_FAILED];

    fn event_type(&self) -> &'static str {
        match self {
            TransferEvent::TransferRequested(_) => Self::TRANSFER_REQUESTED,
            TransferEvent::TransferCompleted {} => Self::TRANSFER_COMPLETED,
            TransferEvent::TransferFailed { .. } => Self::TRANSFER_FAILED,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransferStatus {
    Pending,
    Completed,
    Failed,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "PENDING",
            TransferStatus::Completed => "COMPLETED",
            TransferStatus::Failed => "FAILED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [TransferStatus::Pending, TransferStatus::Completed, TransferStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transfer {
    #[default]
    Unrequested,
    Requested {
        request: TransferRequested,
        status: TransferStatus,
    },
}

impl Transfer {
    pub fn request(&self) -> Option<&TransferRequested> {
        match self {
            Transfer::Requested { request, .. } => Some(request),
            Transfer::Unrequested => None,
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self, Transfer::Requested { status: TransferStatus::Pending, .. })
    }
}
