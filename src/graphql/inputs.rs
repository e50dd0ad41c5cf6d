//! Mutation inputs and their conversion into validated commands.

use async_graphql::{CustomValidator, ID, InputObject, InputValueError};
use uuid::Uuid;

use super::scalars::Decimal;
use super::types::parse_id;
use crate::application::AppError;
use crate::application::commands::{
    CashMovement, ChangeOverdraftLimit, CloseAccount, OpenAccount, PlainPassword, RegisterClient, RequestTransfer,
};
use crate::domain::value::{Currency, Description, Email, Money, OverdraftLimit, PersonName, Role, Username};

/// A rule for text that goes to a lookup or a hash rather than into a value
/// object: a bound on its length and characters it may not hold (PostgreSQL
/// text cannot hold a NUL), so a mistake is told before anything runs.
pub struct TextRule {
    field: &'static str,
    max_chars: usize,
    forbidden: fn(char) -> bool,
    why: &'static str,
}

impl TextRule {
    /// A username or an e-mail address: never more than 254 characters.
    const LOGIN: TextRule =
        TextRule { field: "login", max_chars: 254, forbidden: char::is_control, why: "control characters" };
    /// Any characters but NUL; the length rule is the password's own.
    const PASSWORD: TextRule =
        TextRule { field: "password", max_chars: usize::MAX, forbidden: |c| c == '\0', why: "NUL characters" };
}

impl CustomValidator<String> for TextRule {
    fn check(&self, value: &String) -> Result<(), InputValueError<String>> {
        let refusal = if value.chars().nth(self.max_chars).is_some() {
            format!("must be at most {} characters", self.max_chars)
        } else if value.chars().any(self.forbidden) {
            format!("must not contain {}", self.why)
        } else {
            return Ok(());
        };
        Err(InputValueError::custom(format!("{} {refusal}", self.field))
            .with_extension("code", "BAD_USER_INPUT")
            .with_extension("field", self.field))
    }
}

/// A new customer: names, username and e-mail are trimmed; a taken username or e-mail is ALREADY_EXISTS, a
/// rule broken is BAD_USER_INPUT naming the field in `extensions.field`.
#[derive(InputObject)]
pub struct RegisterClientInput {
    /// 3-32 chars of a-z 0-9 _ . - (stored lower-case; unique)
    pub username: String,
    /// Unique, compared case-insensitively.
    pub email: String,
    /// 8-128 chars.
    #[graphql(validator(custom = "TextRule::PASSWORD"))]
    pub password: String,
    /// Given name (for a company, its name): 1-100 characters.
    pub first_name: String,
    /// Family name: 1-100 characters.
    pub last_name: String,
    /// True for a company; false when omitted.
    #[graphql(default_with = "Some(false)")]
    pub is_company: Option<bool>,
}

impl RegisterClientInput {
    pub fn into_command(self) -> Result<RegisterClient, AppError> {
        Ok(RegisterClient {
            username: Username::new(&self.username)?,
            email: Email::new(&self.email)?,
            password: PlainPassword::new(&self.password)?,
            first_name: PersonName::new("firstName", &self.first_name)?,
            last_name: PersonName::new("lastName", &self.last_name)?,
            is_company: self.is_company.unwrap_or(false),
            role: Role::Customer,
        })
    }
}

/// Credentials; a wrong login or password is INVALID_CREDENTIALS (which of the
/// two is not told), and repeated failures are TOO_MANY_REQUESTS for a while.
#[derive(InputObject)]
pub struct LoginInput {
    /// Username or e-mail, at most 254 characters, no control characters.
    #[graphql(validator(custom = "TextRule::LOGIN"))]
    pub login: String,
    /// The password given at registration.
    #[graphql(validator(custom = "TextRule::PASSWORD"))]
    pub password: String,
}

/// A new account with a zero balance.
#[derive(InputObject)]
pub struct OpenAccountInput {
    /// The client who will own the account: admin only (else FORBIDDEN); the caller when omitted.
    pub owner_id: Option<ID>,
    /// ISO 4217 code such as EUR or USD (case-insensitive); an unknown code is BAD_USER_INPUT.
    #[graphql(default_with = "Some(\"EUR\".to_string())")]
    pub currency: Option<String>,
    /// How far below zero the balance may go, 0 or more: admin only when not zero (else FORBIDDEN).
    #[graphql(default_with = "Some(Decimal(rust_decimal::Decimal::ZERO))")]
    pub overdraft_limit: Option<Decimal>,
    /// Idempotency key (a UUID of the caller's choosing): a repeat with the same id and input returns the first result and records nothing.
    pub command_id: Option<ID>,
}

impl OpenAccountInput {
    pub fn into_command(self) -> Result<(OpenAccount, Option<Uuid>), AppError> {
        let command = OpenAccount {
            owner_id: self.owner_id.as_ref().map(|id| parse_id("ownerId", id)).transpose()?,
            currency: Currency::new(self.currency.as_deref().unwrap_or("EUR"))?,
            overdraft_limit: self
                .overdraft_limit
                .map_or(Ok(OverdraftLimit::ZERO), |l| OverdraftLimit::for_field("overdraftLimit", l.0))?,
        };
        Ok((command, command_id(self.command_id.as_ref())?))
    }
}

/// A deposit or a withdrawal on one account.
#[derive(InputObject)]
pub struct MoneyInput {
    /// The account's id; an unknown one, or one the caller does not own (unless admin), is NOT_FOUND.
    pub account_id: ID,
    /// More than 0 and at most 1000000000000, in the account's currency; a withdrawal beyond
    /// `availableBalance` is INSUFFICIENT_FUNDS, and a closed account is ACCOUNT_CLOSED.
    pub amount: Decimal,
    /// At most 200 chars.
    pub description: Option<String>,
    /// When given, the command is refused with CONFLICT unless the account is at this version.
    pub expected_version: Option<i32>,
    /// Idempotency key (a UUID of the caller's choosing): a repeat with the same id and input returns the first result and records nothing.
    pub command_id: Option<ID>,
}

impl MoneyInput {
    pub fn into_command(self) -> Result<(CashMovement, Option<Uuid>), AppError> {
        let command = CashMovement {
            account_id: parse_id("accountId", &self.account_id)?,
            amount: Money::for_field("amount", self.amount.0)?,
            description: Description::optional(self.description.as_deref())?,
            expected_version: expected_version(self.expected_version)?,
        };
        Ok((command, command_id(self.command_id.as_ref())?))
    }
}

/// A new overdraft limit for one account (admin only, else FORBIDDEN).
#[derive(InputObject)]
pub struct ChangeOverdraftLimitInput {
    /// The account's id; an unknown one, or one the caller does not own (unless admin), is NOT_FOUND.
    pub account_id: ID,
    /// The new limit, 0 or more; lowering it below what the balance already uses is INSUFFICIENT_FUNDS.
    pub limit: Decimal,
    /// When given, the command is refused with CONFLICT unless the account is at this version (0 or more).
    pub expected_version: Option<i32>,
    /// Idempotency key (a UUID of the caller's choosing): a repeat with the same id and input returns the first result and records nothing.
    pub command_id: Option<ID>,
}

impl ChangeOverdraftLimitInput {
    pub fn into_command(self) -> Result<(ChangeOverdraftLimit, Option<Uuid>), AppError> {
        let command = ChangeOverdraftLimit {
            account_id: parse_id("accountId", &self.account_id)?,
            limit: OverdraftLimit::for_field("limit", self.limit.0)?,
            expected_version: expected_version(self.expected_version)?,
        };
        Ok((command, command_id(self.command_id.as_ref())?))
    }
}

/// The account to close: its balance must be zero and no transfer in flight
/// (else ACCOUNT_NOT_EMPTY).
#[derive(InputObject)]
pub struct CloseAccountInput {
    /// The account's id; an unknown one, or one the caller does not own (unless admin), is NOT_FOUND.
    pub account_id: ID,
    /// When given, the command is refused with CONFLICT unless the account is at this version (0 or more).
    pub expected_version: Option<i32>,
    /// Idempotency key (a UUID of the caller's choosing): a repeat with the same id and input returns the first result and records nothing.
    pub command_id: Option<ID>,
}

impl CloseAccountInput {
    pub fn into_command(self) -> Result<(CloseAccount, Option<Uuid>), AppError> {
        let command = CloseAccount {
            account_id: parse_id("accountId", &self.account_id)?,
            expected_version: expected_version(self.expected_version)?,
        };
        Ok((command, command_id(self.command_id.as_ref())?))
    }
}

fn expected_version(version: Option<i32>) -> Result<Option<i32>, AppError> {
    match version {
        Some(v) if v < 0 => Err(AppError::bad_input("expectedVersion must not be negative")),
        other => Ok(other),
    }
}

fn command_id(id: Option<&ID>) -> Result<Option<Uuid>, AppError> {
    id.map(|id| parse_id("commandId", id)).transpose()
}

/// Money to send between two accounts of the same currency (else CURRENCY_MISMATCH).
#[derive(InputObject)]
pub struct TransferInput {
    /// The caller's own account (any account for an admin); else NOT_FOUND.
    pub from_account_id: ID,
    /// Any other account, found by its id (the same account is BAD_USER_INPUT).
    pub to_account_id: ID,
    /// More than 0 and at most 1000000000000; beyond the source's `availableBalance` is INSUFFICIENT_FUNDS.
    pub amount: Decimal,
    /// At most 200 chars.
    pub description: Option<String>,
    /// Idempotency key (a UUID of the caller's choosing): a repeat with the same id and input returns the first result and records nothing.
    pub command_id: Option<ID>,
}

impl TransferInput {
    pub fn into_command(self) -> Result<(RequestTransfer, Option<Uuid>), AppError> {
        let command = RequestTransfer {
            from_account_id: parse_id("fromAccountId", &self.from_account_id)?,
            to_account_id: parse_id("toAccountId", &self.to_account_id)?,
            amount: Money::for_field("amount", self.amount.0)?,
            description: Description::optional(self.description.as_deref())?,
        };
        Ok((command, command_id(self.command_id.as_ref())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(rule: &TextRule, value: &str) -> Option<String> {
        let error = rule.check(&value.to_string()).err()?;
        let server = error.into_server_error(Default::default());
        server.extensions.and_then(|e| e.get("field").map(|f| f.to_string()))
    }

    #[test]
    fn logins_are_bounded_and_plain_and_passwords_free_of_nul() {
        assert!(TextRule::LOGIN.check(&"a".repeat(254)).is_ok());
        assert_eq!(refused_field(&TextRule::LOGIN, &"a".repeat(255)).as_deref(), Some("\"login\""));
        assert_eq!(refused_field(&TextRule::LOGIN, "ali\u{0}ce").as_deref(), Some("\"login\""));
        assert!(TextRule::PASSWORD.check(&"tab\tand ünïcode".to_string()).is_ok());
        assert_eq!(refused_field(&TextRule::PASSWORD, "pass\u{0}word").as_deref(), Some("\"password\""));
    }
}
