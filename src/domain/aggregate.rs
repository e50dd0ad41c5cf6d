use super::{DomainError, DomainEvent};
use super::{account, client, transfer};

/// The shape every aggregate shares: decide from state and command, evolve
/// state by event. Implemented on the state type.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Command: Send;
    type Event: DomainEvent + Send + Sync;

    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, DomainError>;
    fn evolve(self, event: &Self::Event) -> Self;
}

impl Aggregate for account::Account {
    type Command = account::AccountCommand;
    type Event = account::AccountEvent;

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

    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, DomainError> {
        transfer::decide(self, command)
    }

    fn evolve(self, event: &Self::Event) -> Self {
        transfer::evolve(self, event)
    }
}
