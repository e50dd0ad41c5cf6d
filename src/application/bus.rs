//! The message bus: routes each command to its handler, then hands the
//! committed events to every registered event handler.

use std::sync::Arc;

use async_trait::async_trait;

use super::commands::{Command, CommandMeta};
use super::handlers::{Handled, account, client, transfer};
use super::ports::{
    AccountNumberGenerator, EventStore, IdempotencyKey, PasswordHasher, ProcessedCommand, RecordedEvent, StreamVersion,
};
use super::stream_locks::StreamLocks;
use super::{AppError, Snapshots};
use fingerprint::fingerprint;

mod fingerprint;

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
    /// Test-only fault injection: abort the process right after the named
    /// step commits (see `handlers::transfer`), to prove crash safety.
    pub crash_after: Option<String>,
}

/// What a command answers with.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatched {
    /// The events the command committed, in order (empty when it changed nothing).
    pub events: Vec<RecordedEvent>,
    /// When it changed nothing: the stream it was decided on and the version
    /// it found there (for a repeat, the first run's).
    pub unchanged: Option<StreamVersion>,
    /// The command ran before under the same `commandId`: `events` and
    /// `unchanged` are that run's, and nothing was recorded now.
    pub repeat: bool,
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
    /// command changed nothing). See [`MessageBus::run`].
    pub async fn dispatch(&self, command: Command, meta: CommandMeta) -> Result<Vec<RecordedEvent>, AppError> {
        Ok(self.run(command, meta).await?.events)
    }

    /// Runs one command. A command with a client-supplied id runs at most
    /// once: a repeat with the same input gets the first run's events (or,
    /// for a command that changed nothing, the version it found), marked as a
    /// repeat, and records nothing; the same id with other input is a
    /// CONFLICT.
    #[tracing::instrument(name = "command", skip_all, fields(command = command.name(), correlation_id = %meta.correlation_id))]
    pub async fn run(&self, command: Command, mut meta: CommandMeta) -> Result<Dispatched, AppError> {
        if meta.client_command_id {
            let key = IdempotencyKey { command_id: meta.command_id, fingerprint: fingerprint(&command, &meta) };
            if let Some(done) = self.deps.store.processed(key.command_id).await? {
                return self.repeat(&command, &meta, done).await;
            }
            meta.idempotency = Some(key);
        }
        let Handled { events, unchanged } = match self.route(command.clone(), &meta).await {
            Err(AppError::AlreadyProcessed) => {
                let done = self.deps.store.processed(meta.command_id).await?;
                let done = done.ok_or_else(|| anyhow::anyhow!("command {} vanished", meta.command_id))?;
                return self.repeat(&command, &meta, done).await;
            }
            other => other?,
        };
        self.publish(&events).await;
        Ok(Dispatched { events, unchanged, repeat: false })
    }

    async fn route(&self, command: Command, meta: &CommandMeta) -> Result<Handled, AppError> {
        let deps = &self.deps;
        match command {
            Command::RegisterClient(c) => client::register(deps, c, meta).await,
            Command::OpenAccount(c) => account::open(deps, c, meta).await,
            Command::Deposit(c) => account::deposit(deps, c, meta).await,
            Command::Withdraw(c) => account::withdraw(deps, c, meta).await,
            Command::ChangeOverdraftLimit(c) => account::change_overdraft_limit(deps, c, meta).await,
            Command::CloseAccount(c) => account::close(deps, c, meta).await,
            Command::RequestTransfer(c) => transfer::request(deps, c, meta).await,
            Command::ProcessTransfer { transfer_id } => transfer::process(deps, transfer_id, meta).await,
        }
    }

    /// The answer to a repeat: the first run's events, if the input matches.
    async fn repeat(
        &self,
        command: &Command,
        meta: &CommandMeta,
        done: ProcessedCommand,
    ) -> Result<Dispatched, AppError> {
        if !fingerprint::matches(&done.fingerprint, command, meta) {
            return Err(AppError::Conflict(format!(
                "commandId {} was already used for a different command or input",
                meta.command_id
            )));
        }
        let events = self.deps.store.read_at(&done.positions).await?;
        if events.iter().map(|e| e.position).ne(done.positions.iter().copied()) {
            return Err(anyhow::anyhow!("events of command {} are missing", meta.command_id).into());
        }
        Ok(Dispatched { events, unchanged: done.unchanged, repeat: true })
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
