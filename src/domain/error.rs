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
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::InvalidValue { field, reason: reason.into() }
    }
}
