use rust_decimal::Decimal;
use thiserror::Error;

/// A business rule said no. Every variant is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{field}: {reason}")]
    InvalidValue { field: &'static str, reason: String },
    #[error("insufficient funds: available {available}, requested {requested}")]
    InsufficientFunds { available: Decimal, requested: Decimal },
    #[error("the account is closed")]
    AccountClosed,
    #[error("the account cannot be closed while its balance is {balance}")]
    AccountNotEmpty { balance: Decimal },
    #[error("the account does not exist")]
    AccountNotFound,
    #[error("the account already exists")]
    AccountAlreadyOpened,
    #[error("the client already exists")]
    ClientAlreadyRegistered,
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch { left: String, right: String },
    #[error("the transfer does not exist")]
    TransferNotFound,
    #[error("the transfer was requested already")]
    TransferAlreadyRequested,
    #[error("the transfer has finished already")]
    TransferFinished,
    #[error("the account cannot be closed while {count} outgoing transfer(s) are in flight")]
    TransfersInFlight { count: u32 },
}

impl DomainError {
    /// The contract's name for this refusal, recorded as a failed transfer's reason.
    pub fn reason_code(&self) -> &'static str {
        match self {
            DomainError::InvalidValue { .. } => "BAD_USER_INPUT",
            DomainError::InsufficientFunds { .. } => "INSUFFICIENT_FUNDS",
            DomainError::AccountClosed => "ACCOUNT_CLOSED",
            DomainError::AccountNotEmpty { .. } | DomainError::TransfersInFlight { .. } => "ACCOUNT_NOT_EMPTY",
            DomainError::AccountNotFound | DomainError::TransferNotFound => "NOT_FOUND",
            DomainError::AccountAlreadyOpened
            | DomainError::ClientAlreadyRegistered
            | DomainError::TransferAlreadyRequested => "ALREADY_EXISTS",
            DomainError::CurrencyMismatch { .. } => "CURRENCY_MISMATCH",
            DomainError::TransferFinished => "CONFLICT",
        }
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::InvalidValue { field, reason: reason.into() }
    }
}
