//! The message bus: routes each command to its handler, then hands the
//! committed events to every registered event handler.

use std::sync::Arc;

use async_trait::async_trait;

use super::AppError;
use super::commands::{Command, CommandMeta};
use super::handlers::{Handled, HandlerServices, account, client, transfer};
use super::ports::{IdempotencyKey, ProcessedCommand, RecordedEvent, StreamVersion};
use fingerprint::fingerprint;

mod fingerprint;

/// Reacts to committed events (subscription hub, process managers, ...).
/// A failing handler is logged; it never fails the command that caused it.
#[async_trait]
pub trait EventHandler: Send + Sync {
    fn name(&self) -> &'static str;
    async fn handle(&self, events: &[RecordedEvent]) -> anyhow::Result<()>;
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
    services: HandlerServices,
    event_handlers: Vec<Arc<dyn EventHandler>>,
}

impl MessageBus {
    pub fn new(services: HandlerServices) -> Self {
        MessageBus { services, event_handlers: Vec::new() }
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
            if let Some(done) = self.services.store.processed(key.command_id).await? {
                return self.repeat(&command, &meta, done).await;
            }
            meta.idempotency = Some(key);
        }
        let Handled { events, unchanged } = match self.route(command.clone(), &meta).await {
            Err(AppError::AlreadyProcessed) => {
                let done = self.services.store.processed(meta.command_id).await?;
                let done = done.ok_or_else(|| anyhow::anyhow!("command {} vanished", meta.command_id))?;
                return self.repeat(&command, &meta, done).await;
            }
            other => other?,
        };
        self.publish(&events).await;
        Ok(Dispatched { events, unchanged, repeat: false })
    }

    async fn route(&self, command: Command, meta: &CommandMeta) -> Result<Handled, AppError> {
        let services = &self.services;
        match command {
            Command::RegisterClient(c) => client::register(services, c, meta).await,
            Command::OpenAccount(c) => account::open(services, c, meta).await,
            Command::Deposit(c) => account::deposit(services, c, meta).await,
            Command::Withdraw(c) => account::withdraw(services, c, meta).await,
            Command::ChangeOverdraftLimit(c) => account::change_overdraft_limit(services, c, meta).await,
            Command::CloseAccount(c) => account::close(services, c, meta).await,
            Command::RequestTransfer(c) => transfer::request(services, c, meta).await,
            Command::ProcessTransfer { transfer_id } => transfer::process(services, transfer_id, meta).await,
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
        let events = self.services.store.read_at(&done.positions).await?;
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
