use uuid::Uuid;

use super::*;
use crate::domain::{DomainError, DomainEvent};

fn registration() -> Registration {
    Registration {
        client_id: Uuid::now_v7(),
        username: Username::new("ada").unwrap(),
        email: Email::new("ada@example.com").unwrap(),
        password_hash: "$argon2id$hash".into(),
        first_name: PersonName::new("firstName", "Ada").unwrap(),
        last_name: PersonName::new("lastName", "Lovelace").unwrap(),
        is_company: false,
        role: Role::Customer,
    }
}

fn given(events: &[ClientEvent]) -> Client {
    events.iter().fold(Client::default(), evolve)
}

#[test]
fn registering_a_new_client_records_client_registered() {
    let r = registration();
    let events = decide(&given(&[]), ClientCommand::Register(r.clone())).unwrap();
    assert_eq!(events, vec![ClientEvent::ClientRegistered(r.clone())]);
    assert_eq!(given(&events), Client::Registered { id: r.client_id, role: Role::Customer });
}

#[test]
fn registering_twice_is_refused() {
    let r = registration();
    let state = given(&[ClientEvent::ClientRegistered(r.clone())]);
    assert_eq!(decide(&state, ClientCommand::Register(r)), Err(DomainError::ClientAlreadyRegistered));
}

#[test]
fn the_event_has_a_stable_name_and_json_shape() {
    let event = ClientEvent::ClientRegistered(registration());
    assert_eq!(event.event_type(), "ClientRegistered");
    assert_eq!(ClientEvent::EVENT_TYPES, [event.event_type()]);
    assert_eq!(serde_json::to_value(&event).unwrap()["type"], event.event_type());
    let data = event.to_data();
    assert_eq!(data["username"], "ada");
    assert_eq!(data["role"], "CUSTOMER");
    assert_eq!(ClientEvent::from_stored("ClientRegistered", 1, &data).unwrap(), event);
}
