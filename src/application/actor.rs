use uuid::Uuid;

use crate::domain::value::Role;

/// On whose behalf a request runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    Client {
        id: Uuid,
        role: Role,
    },
    /// The server itself (command line, process managers).
    System,
}

impl Actor {
    pub fn client_id(&self) -> Option<Uuid> {
        match self {
            Actor::Client { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Admins and the system see and act on everything.
    pub fn is_privileged(&self) -> bool {
        matches!(self, Actor::System | Actor::Client { role: Role::Admin, .. })
    }

    /// May this actor see or act on things owned by `owner`?
    pub fn may_access(&self, owner: Uuid) -> bool {
        self.is_privileged() || self.client_id() == Some(owner)
    }
}
