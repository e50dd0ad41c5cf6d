//! The message bus: routes each command to its handler, then hands the
//! committed events to every registered event handler.

use std::sync::Arc;

use async_trait::async_trait;

use super::commands::{Command, CommandMeta};
use super::handlers::{account, client};
use super::ports::{AccountNumberGenerator, EventStore, PasswordHasher, RecordedEvent};
use super::stream_locks::StreamLocks;
use super::{AppError, Snapshots};

/// Reacts to committed events (subscription hub, process managers, ...).
/// A failing handler is logged; it never fails the command that caused it.
#[async_trait]
pub trait EventHandler: Send + Sync {
    fn name(&self) -> &'static str;
    async fn handle(&self, events: &[RecordedEvent]) -> anyhow::Result<()>;
}

/// What command handlers need.
pub struct Deps {
    pub store: Arc<dyn EventStore>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub numbers: Arc<dyn AccountNumberGenerator>,
    pub locks: StreamLocks,
    /// Where aggregates are snapshotted, and how often.
    pub snapshots: Snapshots,
    /// How often a handler decides again after losing a race.
    pub max_attempts: u32,
}

pub struct MessageBus {
    deps: Deps,
    event_handlers: Vec<Arc<dyn EventHandler>>,
}

impl MessageBus {
    pub fn new(deps: Deps) -> Self {
        MessageBus { deps, event_handlers: Vec::new() }
    }

    pub fn subscribe(&mut self, handler: Arc<dyn EventHandler>) {
        self.event_handlers.push(handler);
    }

    /// Runs one command and returns the events it committed (empty when the
    /// command changed nothing).
    #[tracing::instrument(name = "command", skip_all, fields(command = command.name(), correlation_id = %meta.correlation_id))]
    pub async fn dispatch(&self, command: Command, meta: CommandMeta) -> Result<Vec<RecordedEvent>, AppError> {
        let deps = &self.deps;
        let events = match command {
            Command::RegisterClient(c) => client::register(deps, c, &meta).await,
            Command::OpenAccount(c) => account::open(deps, c, &meta).await,
            Command::Deposit(c) => account::deposit(deps, c, &meta).await,
            Command::Withdraw(c) => account::withdraw(deps, c, &meta).await,
            Command::ChangeOverdraftLimit(c) => account::change_overdraft_limit(deps, c, &meta).await,
            Command::CloseAccount(c) => account::close(deps, c, &meta).await,
        }?;
        self.publish(&events).await;
        Ok(events)
    }

    async fn publish(&self, events: &[RecordedEvent]) {
        if events.is_empty() {
            return;
        }
        for handler in &self.event_handlers {
            if let Err(error) = handler.handle(events).await {
                tracing::error!(handler = handler.name(), error = format!("{error:#}"), "event handler failed");
            }
        }
    }
}
