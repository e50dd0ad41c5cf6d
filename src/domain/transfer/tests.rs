use std::str::FromStr;

use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::domain::{DomainError, DomainEvent};

fn requested() -> TransferRequested {
    TransferRequested {
        transfer_id: Uuid::from_u128(7),
        from_account_id: Uuid::from_u128(1),
        to_account_id: Uuid::from_u128(2),
        amount: Money::new(Decimal::from_str("12.50").unwrap()).unwrap(),
        currency: Currency::new("EUR").unwrap(),
        description: None,
    }
}

fn given(events: &[TransferEvent]) -> Transfer {
    events.iter().fold(Transfer::default(), evolve)
}

#[test]
fn a_request_records_transfer_requested_and_is_pending() {
    let events = decide(&given(&[]), TransferCommand::Request(requested())).unwrap();
    assert_eq!(events, vec![TransferEvent::TransferRequested(requested())]);
    assert!(given(&events).is_pending());
}

#[test]
fn a_transfer_to_the_same_account_is_refused() {
    let mut request = requested();
    request.to_account_id = request.from_account_id;
    assert!(matches!(decide(&given(&[]), TransferCommand::Request(request)), Err(DomainError::InvalidValue { .. })));
}

#[test]
fn a_pending_transfer_completes_or_fails_once() {
    let pending = [TransferEvent::TransferRequested(requested())];
    assert_eq!(decide(&given(&pending), TransferCommand::Complete).unwrap(), vec![TransferEvent::TransferCompleted {}]);
    let failed = decide(&given(&pending), TransferCommand::Fail { reason: "ACCOUNT_CLOSED".into() }).unwrap();
    assert_eq!(failed, vec![TransferEvent::TransferFailed { reason: "ACCOUNT_CLOSED".into() }]);
    let done = [TransferEvent::TransferRequested(requested()), TransferEvent::TransferCompleted {}];
    assert_eq!(decide(&given(&done), TransferCommand::Complete), Err(DomainError::TransferFinished));
    assert_eq!(decide(&given(&done), TransferCommand::Fail { reason: "x".into() }), Err(DomainError::TransferFinished));
}

#[test]
fn only_a_requested_transfer_can_finish_and_only_once_be_requested() {
    assert_eq!(decide(&given(&[]), TransferCommand::Complete), Err(DomainError::TransferNotFound));
    let pending = [TransferEvent::TransferRequested(requested())];
    assert_eq!(
        decide(&given(&pending), TransferCommand::Request(requested())),
        Err(DomainError::TransferAlreadyRequested)
    );
}

#[test]
fn events_have_stable_names_and_shapes() {
    let event = TransferEvent::TransferRequested(requested());
    assert_eq!(event.event_type(), "TransferRequested");
    assert_eq!(event.to_data()["amount"], "12.50");
    assert_eq!(TransferEvent::from_stored("TransferRequested", 1, &event.to_data()).unwrap(), event);
    let failed = TransferEvent::TransferFailed { reason: "CURRENCY_MISMATCH".into() };
    assert_eq!(failed.to_data(), serde_json::json!({ "reason": "CURRENCY_MISMATCH" }));
}

#[test]
fn every_event_is_stored_under_its_listed_type_name() {
    let every = [
        TransferEvent::TransferRequested(requested()),
        TransferEvent::TransferCompleted {},
        TransferEvent::TransferFailed { reason: "ACCOUNT_CLOSED".into() },
    ];
    let names: Vec<&str> = every.iter().map(|e| e.event_type()).collect();
    assert_eq!(names, TransferEvent::EVENT_TYPES);
    for event in &every {
        assert_eq!(serde_json::to_value(event).unwrap()["type"], event.event_type());
    }
}
