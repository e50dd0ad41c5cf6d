//! Real domain events, ready to append.

use minibank::application::ports::{Commit, EventMetadata, NewEvent, StreamAppend, UniqueClaim};
use minibank::domain::account::{AccountEvent, AccountOpened, MoneyMoved, OverdraftLimitChanged};
use minibank::domain::client::{ClientEvent, Registration};
use minibank::domain::value::{
    AccountNumber, Currency, Description, Email, Money, OverdraftLimit, PersonName, Role, Username,
};
use minibank::domain::{DomainEvent, StreamType};
use rust_decimal::Decimal;
use uuid::Uuid;

pub fn new_event<E: DomainEvent>(event: &E) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data(),
        metadata: EventMetadata {
            correlation_id: Uuid::now_v7(),
            causation_id: Some(Uuid::now_v7()),
            command_id: Some(Uuid::now_v7()),
            actor_id: None,
        },
    }
}

pub fn append(stream_type: StreamType, stream_id: Uuid, expected_version: i32, events: Vec<NewEvent>) -> Commit {
    Commit { appends: vec![stream(stream_type, stream_id, expected_version, events)], ..Commit::default() }
}

pub fn stream(stream_type: StreamType, stream_id: Uuid, expected_version: i32, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend { stream_id, stream_type, expected_version, events }
}

/// One commit of several appends, with no claims and no idempotency key.
pub fn appends(appends: Vec<StreamAppend>) -> Commit {
    Commit { appends, ..Commit::default() }
}

pub fn claim(scope: &'static str, value: &str) -> UniqueClaim {
    UniqueClaim { scope, value: value.to_owned(), owner_id: Uuid::now_v7() }
}

pub fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

pub fn opened(account_id: Uuid, owner_id: Uuid, payload: u32) -> NewEvent {
    new_event(&AccountEvent::AccountOpened(AccountOpened {
        account_id,
        owner_id,
        number: AccountNumber::from_payload(payload),
        currency: Currency::new("EUR").unwrap(),
        overdraft_limit: OverdraftLimit::ZERO,
    }))
}

fn moved(amount_cents: i64, balance_after_cents: i64) -> MoneyMoved {
    MoneyMoved {
        amount: Money::new(money(amount_cents)).unwrap(),
        description: Description::optional(Some("test")).unwrap(),
        balance_after: money(balance_after_cents),
    }
}

pub fn deposited(amount_cents: i64, balance_after_cents: i64) -> NewEvent {
    new_event(&AccountEvent::MoneyDeposited(moved(amount_cents, balance_after_cents)))
}

pub fn withdrawn(amount_cents: i64, balance_after_cents: i64) -> NewEvent {
    new_event(&AccountEvent::MoneyWithdrawn(moved(amount_cents, balance_after_cents)))
}

pub fn limit_changed(limit_cents: i64) -> NewEvent {
    new_event(&AccountEvent::OverdraftLimitChanged(OverdraftLimitChanged {
        previous_limit: OverdraftLimit::ZERO,
        limit: OverdraftLimit::new(money(limit_cents)).unwrap(),
    }))
}

pub fn closed() -> NewEvent {
    new_event(&AccountEvent::AccountClosed {})
}

/// A registration commit for `username`, with its username and e-mail claims.
pub fn register(client_id: Uuid, username: &str, email: &str, first_name: &str) -> Commit {
    let registration = Registration {
        client_id,
        username: Username::new(username).unwrap(),
        email: Email::new(email).unwrap(),
        password_hash: "$argon2id$fake".to_owned(),
        first_name: PersonName::new("firstName", first_name).unwrap(),
        last_name: PersonName::new("lastName", "Tester").unwrap(),
        is_company: false,
        role: Role::Customer,
    };
    let claims = vec![
        UniqueClaim { scope: "username", value: registration.username.as_str().to_owned(), owner_id: client_id },
        UniqueClaim { scope: "email", value: registration.email.normalized(), owner_id: client_id },
    ];
    let event = new_event(&ClientEvent::ClientRegistered(registration));
    Commit { claims, ..append(StreamType::Client, client_id, 0, vec![event]) }
}
