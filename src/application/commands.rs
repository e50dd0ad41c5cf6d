//! What mutations ask for. Values are validated before a command exists.

use uuid::Uuid;

use super::Actor;
use super::ports::IdempotencyKey;
use crate::domain::DomainError;
use crate::domain::value::{Currency, Description, Email, Money, OverdraftLimit, PersonName, Role, Username};

/// Who asks, and how this command relates to others (stored as event metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMeta {
    pub actor: Actor,
    /// One per incoming request; shared by everything it causes.
    pub correlation_id: Uuid,
    /// The event or command that caused this one; `None` for a request.
    pub causation_id: Option<Uuid>,
    /// Client-supplied idempotency key, or a generated id.
    pub command_id: Uuid,
    /// Did the client supply `command_id`? Then a repeat is answered from the
    /// first result instead of being executed again.
    pub client_command_id: bool,
    /// Set by the bus for idempotent commands; committed with the events.
    pub idempotency: Option<IdempotencyKey>,
}

impl CommandMeta {
    /// A fresh request from `actor`.
    pub fn request(actor: Actor, command_id: Option<Uuid>) -> Self {
        CommandMeta {
            actor,
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            command_id: command_id.unwrap_or_else(Uuid::now_v7),
            client_command_id: command_id.is_some(),
            idempotency: None,
        }
    }
}

/// A password as typed: 8–128 characters. Only its hash is ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainPassword(String);

impl PlainPassword {
    pub fn new(raw: &str) -> Result<Self, DomainError> {
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return Err(DomainError::invalid("password", "must be 8 to 128 characters"));
        }
        Ok(PlainPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainPassword(***)")
    }
}

#[derive(Debug, Clone)]
pub struct RegisterClient {
    pub username: Username,
    pub email: Email,
    pub password: PlainPassword,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub is_company: bool,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct OpenAccount {
    /// Defaults to the caller.
    pub owner_id: Option<Uuid>,
    pub currency: Currency,
    pub overdraft_limit: OverdraftLimit,
}

/// Money into or out of one account from outside the bank: the body of a
/// deposit and of a withdrawal (a transfer between accounts is
/// [`RequestTransfer`]).
#[derive(Debug, Clone)]
pub struct CashMovement {
    pub account_id: Uuid,
    pub amount: Money,
    pub description: Option<Description>,
    pub expected_version: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct ChangeOverdraftLimit {
    pub account_id: Uuid,
    pub limit: OverdraftLimit,
    pub expected_version: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct CloseAccount {
    pub account_id: Uuid,
    pub expected_version: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct RequestTransfer {
    pub from_account_id: Uuid,
    pub to_account_id: Uuid,
    pub amount: Money,
    pub description: Option<Description>,
}

#[derive(Debug, Clone)]
pub enum Command {
    RegisterClient(RegisterClient),
    OpenAccount(OpenAccount),
    Deposit(CashMovement),
    Withdraw(CashMovement),
    ChangeOverdraftLimit(ChangeOverdraftLimit),
    CloseAccount(CloseAccount),
    RequestTransfer(RequestTransfer),
    /// Issued by the transfer process manager: credit the destination and
    /// complete, or refund the source and fail.
    ProcessTransfer {
        transfer_id: Uuid,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::RegisterClient(_) => "RegisterClient",
            Command::OpenAccount(_) => "OpenAccount",
            Command::Deposit(_) => "Deposit",
            Command::Withdraw(_) => "Withdraw",
            Command::ChangeOverdraftLimit(_) => "ChangeOverdraftLimit",
            Command::CloseAccount(_) => "CloseAccount",
            Command::RequestTransfer(_) => "RequestTransfer",
            Command::ProcessTransfer { .. } => "ProcessTransfer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_8_to_128_characters_and_never_printed() {
        assert!(PlainPassword::new("short").is_err());
        assert!(PlainPassword::new(&"p".repeat(129)).is_err());
        let password = PlainPassword::new("correct horse").unwrap();
        assert_eq!(format!("{password:?}"), "PlainPassword(***)");
    }
}
