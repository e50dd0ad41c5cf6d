//! Application errors as GraphQL errors: each with its `extensions.code`,
//! the unexpected ones masked. The errors async-graphql raises itself get
//! theirs in `engine_errors`.

use async_graphql::{Error, ErrorExtensions};

use crate::application::AppError;
use crate::domain::DomainError;

pub const INTERNAL_MESSAGE: &str = "Something went wrong on our side. It has been logged; please try again later.";

/// The contract's code for an application error.
pub fn code_of(error: &AppError) -> &'static str {
    match error {
        AppError::Domain(domain) => domain.reason_code(),
        AppError::Unauthenticated => "UNAUTHENTICATED",
        AppError::Forbidden(_) => "FORBIDDEN",
        AppError::NotFound(_) => "NOT_FOUND",
        AppError::BadInput(_) => "BAD_USER_INPUT",
        AppError::AlreadyExists(_) => "ALREADY_EXISTS",
        AppError::InvalidCredentials => "INVALID_CREDENTIALS",
        AppError::Throttled { .. } => "TOO_MANY_REQUESTS",
        AppError::Conflict(_) | AppError::AlreadyProcessed => "CONFLICT",
        AppError::Unexpected(_) => "INTERNAL_SERVER_ERROR",
    }
}

/// Unexpected errors are logged with their whole cause chain and answered
/// with a generic message; every other error explains itself.
pub fn gql_error(error: AppError) -> Error {
    let code = code_of(&error);
    let message = match &error {
        AppError::Unexpected(cause) => {
            tracing::error!(error = format!("{cause:#}"), "unexpected error");
            INTERNAL_MESSAGE.to_string()
        }
        AppError::Domain(DomainError::InvalidValue { field, reason }) => {
            format!("{field} {reason}")
        }
        other => other.to_string(),
    };
    let field = match &error {
        AppError::Domain(DomainError::InvalidValue { field, .. }) => Some(*field),
        _ => None,
    };
    let retry_after = match &error {
        AppError::Throttled { retry_after_seconds } => Some(*retry_after_seconds),
        _ => None,
    };
    Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", code);
        if let Some(field) = field {
            extensions.set("field", field);
        }
        if let Some(seconds) = retry_after {
            extensions.set("retryAfter", seconds);
        }
    })
}

/// `.gql()?` in resolvers: an explicit conversion, because async-graphql
/// would otherwise turn any `Display` error into a code-less message.
pub trait OrGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGql<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql_error)
    }
}

impl<T> OrGql<T> for Result<T, DomainError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| gql_error(AppError::Domain(e)))
    }
}
