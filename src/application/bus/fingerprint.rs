//! What makes two commands with one `commandId` "the same": the caller, the
//! command and its input, written down in a form that outlives releases.
//!
//! The fingerprint is stored with the idempotency key and compared when the
//! key comes back, possibly after a deploy. It is therefore built from an
//! explicit, versioned JSON document (field names spelled out here, values in
//! their canonical text: amounts with two decimals, ids hyphenated), never from
//! Rust's `Debug` output, so renaming a field or a type in the code does not
//! turn a legitimate retry into a false CONFLICT. Changing what the document
//! holds means a new [`VERSION`], with the previous one still understood.
//! Secrets (the password of a registration) never enter it.

use serde::Serialize;
use uuid::Uuid;

use crate::application::Actor;
use crate::application::commands::{
    CashMovement, ChangeOverdraftLimit, CloseAccount, Command, CommandMeta, OpenAccount, RegisterClient,
    RequestTransfer,
};

/// The format of fingerprints written today.
pub const VERSION: u32 = 1;

/// The fingerprint to store with `meta`'s idempotency key.
pub fn fingerprint(command: &Command, meta: &CommandMeta) -> String {
    let document = Document { v: VERSION, command: command.name(), caller: caller(meta.actor), input: input(command) };
    // Plain strings, numbers, booleans and nulls: serializing cannot fail.
    serde_json::to_string(&document).unwrap_or_default()
}

/// Whether a stored fingerprint describes this command by this caller.
/// An unversioned fingerprint (not JSON) is the command's `Debug` text, as
/// stored in idempotency records kept from before fingerprints had a
/// version; it is still recognised, so a retry of such a command is a
/// repeat, not a CONFLICT.
pub fn matches(stored: &str, command: &Command, meta: &CommandMeta) -> bool {
    if stored.starts_with('{') { stored == fingerprint(command, meta) } else { stored == legacy(command, meta) }
}

/// The unversioned form, kept only to read the keys recorded with it.
fn legacy(command: &Command, meta: &CommandMeta) -> String {
    format!("{} by {:?}: {command:?}", command.name(), meta.actor)
}

#[derive(Serialize)]
struct Document<'a> {
    v: u32,
    command: &'static str,
    caller: String,
    input: Input<'a>,
}

fn caller(actor: Actor) -> String {
    match actor {
        Actor::Anonymous => "anonymous".into(),
        Actor::System => "system".into(),
        Actor::Client { id, .. } => format!("client:{id}"),
    }
}

/// One shape per command, named by the command's own field names as the API
/// spells them.
#[derive(Serialize)]
#[serde(untagged)]
enum Input<'a> {
    RegisterClient(RegisterInput<'a>),
    OpenAccount(OpenInput),
    CashMovement(CashMovementInput<'a>),
    ChangeOverdraftLimit(LimitInput),
    CloseAccount(CloseInput),
    RequestTransfer(TransferInput<'a>),
    ProcessTransfer(ProcessInput),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterInput<'a> {
    username: &'a str,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    is_company: bool,
    role: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenInput {
    owner_id: Option<Uuid>,
    currency: String,
    overdraft_limit: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CashMovementInput<'a> {
    account_id: Uuid,
    amount: String,
    description: Option<&'a str>,
    expected_version: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LimitInput {
    account_id: Uuid,
    limit: String,
    expected_version: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloseInput {
    account_id: Uuid,
    expected_version: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferInput<'a> {
    from_account_id: Uuid,
    to_account_id: Uuid,
    amount: String,
    description: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProcessInput {
    transfer_id: Uuid,
}

/// Amounts as exact decimals with two fraction digits ("5" and "5.00" are one amount).
fn amount(value: rust_decimal::Decimal) -> String {
    let mut exact = value;
    exact.rescale(2);
    exact.to_string()
}

fn input(command: &Command) -> Input<'_> {
    match command {
        Command::RegisterClient(c) => Input::RegisterClient(register(c)),
        Command::OpenAccount(c) => Input::OpenAccount(open(c)),
        Command::Deposit(c) | Command::Withdraw(c) => Input::CashMovement(cash_movement(c)),
        Command::ChangeOverdraftLimit(c) => Input::ChangeOverdraftLimit(limit(c)),
        Command::CloseAccount(c) => Input::CloseAccount(close(c)),
        Command::RequestTransfer(c) => Input::RequestTransfer(transfer(c)),
        Command::ProcessTransfer { transfer_id } => Input::ProcessTransfer(ProcessInput { transfer_id: *transfer_id }),
    }
}

fn register(c: &RegisterClient) -> RegisterInput<'_> {
    RegisterInput {
        username: c.username.as_str(),
        email: c.email.as_str(),
        first_name: c.first_name.as_str(),
        last_name: c.last_name.as_str(),
        is_company: c.is_company,
        role: c.role.as_str(),
    }
}

fn open(c: &OpenAccount) -> OpenInput {
    OpenInput {
        owner_id: c.owner_id,
        currency: c.currency.as_str().to_string(),
        overdraft_limit: amount(c.overdraft_limit.value()),
    }
}

fn cash_movement(c: &CashMovement) -> CashMovementInput<'_> {
    CashMovementInput {
        account_id: c.account_id,
        amount: amount(c.amount.value()),
        description: c.description.as_ref().map(|d| d.as_str()),
        expected_version: c.expected_version,
    }
}

fn limit(c: &ChangeOverdraftLimit) -> LimitInput {
    LimitInput { account_id: c.account_id, limit: amount(c.limit.value()), expected_version: c.expected_version }
}

fn close(c: &CloseAccount) -> CloseInput {
    CloseInput { account_id: c.account_id, expected_version: c.expected_version }
}

fn transfer(c: &RequestTransfer) -> TransferInput<'_> {
    TransferInput {
        from_account_id: c.from_account_id,
        to_account_id: c.to_account_id,
        amount: amount(c.amount.value()),
        description: c.description.as_ref().map(|d| d.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::value::{Description, Money, Role};

    fn alice() -> CommandMeta {
        let id = Uuid::parse_str("0190a5b8-0000-7000-8000-000000000001").unwrap();
        CommandMeta::request(Actor::Client { id, role: Role::Customer }, Some(Uuid::nil()))
    }

    fn deposit(amount: &str, description: Option<&str>) -> Command {
        Command::Deposit(CashMovement {
            account_id: Uuid::parse_str("0190a5b8-0000-7000-8000-0000000000aa").unwrap(),
            amount: Money::new(amount.parse::<Decimal>().unwrap()).unwrap(),
            description: Description::optional(description).unwrap(),
            expected_version: None,
        })
    }

    /// The stored form is a contract with every later release: this exact
    /// text must keep matching, whatever the Rust types come to be called.
    #[test]
    fn a_deposit_has_a_fixed_versioned_text() {
        let written = fingerprint(&deposit("5", Some("rent")), &alice());
        assert_eq!(
            written,
            r#"{"v":1,"command":"Deposit","caller":"client:0190a5b8-0000-7000-8000-000000000001","input":{"accountId":"0190a5b8-0000-7000-8000-0000000000aa","amount":"5.00","description":"rent","expectedVersion":null}}"#
        );
        assert!(matches(&written, &deposit("5.00", Some("rent")), &alice()));
    }

    #[test]
    fn other_input_another_command_or_another_caller_differ() {
        let meta = alice();
        let first = fingerprint(&deposit("5", None), &meta);
        assert!(!matches(&first, &deposit("6", None), &meta));
        assert!(!matches(&first, &deposit("5", Some("rent")), &meta));
        let Command::Deposit(same) = deposit("5", None) else { unreachable!() };
        assert!(!matches(&first, &Command::Withdraw(same), &meta));
        let bob = CommandMeta::request(Actor::Client { id: Uuid::now_v7(), role: Role::Customer }, None);
        assert!(!matches(&first, &deposit("5", None), &bob));
    }

    #[test]
    fn the_caller_is_who_asks_not_the_role_they_have_now() {
        let meta = alice();
        let promoted = CommandMeta {
            actor: Actor::Client { id: meta.actor.client_id().unwrap(), role: Role::Admin },
            ..meta.clone()
        };
        assert!(matches(&fingerprint(&deposit("5", None), &meta), &deposit("5", None), &promoted));
    }

    #[test]
    fn keys_recorded_before_versioned_fingerprints_still_match() {
        let meta = alice();
        let command = deposit("5", None);
        let recorded = format!("Deposit by {:?}: {command:?}", meta.actor);
        assert!(matches(&recorded, &command, &meta));
        assert!(!matches(&recorded, &deposit("6", None), &meta));
    }
}
