use super::{Client, ClientCommand, ClientEvent};
use crate::domain::DomainError;

pub fn decide(state: &Client, command: ClientCommand) -> Result<Vec<ClientEvent>, DomainError> {
    match (state, command) {
        (Client::Registered { .. }, ClientCommand::Register(_)) => Err(DomainError::ClientAlreadyRegistered),
        (Client::Unregistered, ClientCommand::Register(registration)) => {
            Ok(vec![ClientEvent::ClientRegistered(registration)])
        }
    }
}

pub fn evolve(_state: Client, event: &ClientEvent) -> Client {
    match event {
        ClientEvent::ClientRegistered(r) => Client::Registered { id: r.client_id, role: r.role },
    }
}
