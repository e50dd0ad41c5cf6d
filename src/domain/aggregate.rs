use serde::{Serialize, de::DeserializeOwned};

use super::{DomainError, DomainEvent};
use super::{account, client, transfer};

/// The shape every aggregate shares: decide from state and command, evolve
/// state by event. Implemented on the state type, which is also what a
/// snapshot stores (as JSON).
pub trait Aggregate: Default + Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    type Command: Send;
    type Event: DomainEvent + Send + Sync;

    /// Version of the snapshot shape *and meaning*: bump it whenever the
    /// state's serialized shape or the `evolve` rules change. A stored
    /// snapshot of another version is ignored and the stream replayed.
    const SNAPSHOT_VERSION: i32;

    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, DomainError>;
    fn evolve(self, event: &Self::Event) -> Self;
}

impl Aggregate for account::Account {
    type Command = account::AccountCommand;
    type Event = account::AccountEvent;

    /// 2: the count of outgoing transfers in flight joined the state.
    const SNAPSHOT_VERSION: i32 = 2;

    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, DomainError> {
        account::decide(self, command)
    }

    fn evolve(self, event: &Self::Event) -> Self {
        account::evolve(self, event)
    }
}

impl Aggregate for client::Client {
    type Command = client::ClientCommand;
    type Event = client::ClientEvent;

    const SNAPSHOT_VERSION: i32 = 1;

    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, DomainError> {
        client::decide(self, command)
    }

    fn evolve(self, event: &Self::Event) -> Self {
        client::evolve(self, event)
    }
}

impl Aggregate for transfer::Transfer {
    type Command = transfer::TransferCommand;
    type Event = transfer::TransferEvent;

    const SNAPSHOT_VERSION: i32 = 1;

    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, DomainError> {
        transfer::decide(self, command)
    }

    fn evolve(self, event: &Self::Event) -> Self {
        transfer::evolve(self, event)
    }
}
