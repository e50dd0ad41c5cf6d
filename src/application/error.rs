use thiserror::Error;

use crate::domain::DomainError;

/// Everything a use case can answer with. Only `Unexpected` is technical; its
/// text goes to the log, never to the client.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("you need to sign in")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    BadInput(String),
    #[error("{0} is already taken")]
    AlreadyExists(&'static str),
    #[error("wrong login or password")]
    InvalidCredentials,
    /// Too many failed sign-ins for this login or from this address; the
    /// password was not checked.
    #[error("too many failed sign-ins; try again in {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
    #[error("{0}")]
    Conflict(String),
    /// Internal: a concurrent repeat of an idempotent command committed
    /// first; the bus answers with that one's result.
    #[error("the command was processed already")]
    AlreadyProcessed,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn forbidden(why: impl Into<String>) -> Self {
        AppError::Forbidden(why.into())
    }

    pub fn bad_input(why: impl Into<String>) -> Self {
        AppError::BadInput(why.into())
    }
}
