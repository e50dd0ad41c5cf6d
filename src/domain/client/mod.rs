//! The Client aggregate: a person or company that holds accounts.

mod decide;
#[cfg(test)]
mod tests;

pub use decide::{decide, evolve};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::value::{Email, PersonName, Role, Username};
use super::{DomainEvent, StreamType};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    Register(Registration),
}

/// Everything a client is registered with; the password arrives already hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub client_id: Uuid,
    pub username: Username,
    pub email: Email,
    pub password_hash: String,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub is_company: bool,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClientEvent {
    ClientRegistered(Registration),
}

impl ClientEvent {
    pub const CLIENT_REGISTERED: &'static str = "ClientRegistered";
}

impl DomainEvent for ClientEvent {
    const STREAM_TYPE: StreamType = StreamType::Client;

    const EVENT_TYPES: &'static [&'static str] = &[Self::CLIENT_REGISTERED];

    fn event_type(&self) -> &'static str {
        match self {
            ClientEvent::ClientRegistered(_) => Self::CLIENT_REGISTERED,
        }
    }
}

/// Fields of event data that must never leave the server.
pub const SECRET_FIELDS: &[&str] = &["passwordHash"];

/// The state, also as stored in snapshots (see `Aggregate::SNAPSHOT_VERSION`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Client {
    #[default]
    Unregistered,
    Registered {
        id: Uuid,
        role: Role,
    },
}
