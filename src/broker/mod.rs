//! The NATS entry point: commands other services send by request/reply on
//! `<prefix>.commands.<mutation>`, with `{"token": "<JWT>", "input": {…}}`.
//! Each runs in-process as the GraphQL mutation of that name through the
//! server's own schema, with the token turned into the request data the HTTP
//! layer attaches: the same guard, validation, authorization, bus (group
//! commit, idempotency by `commandId`, live subscriptions) and error codes,
//! and the same payload as GraphQL gives.

mod documents;
mod reply;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::application::AppContext;
use crate::application::auth::authenticate;
use crate::graphql::{AppSchema, RequestAuth, guard};
use crate::infrastructure::nats::NatsSettings;
pub use documents::COMMANDS;

/// Commands handled at once by one instance; more wait to be read.
const IN_FLIGHT: usize = 256;

const NOT_A_COMMAND: &str = "The body must be JSON: {\"token\": \"<the same JWT as GraphQL>\", \"input\": {…}}.";

#[derive(Deserialize)]
struct CommandRequest {
    token: Option<String>,
    input: Option<Value>,
}

#[derive(Clone)]
struct Listener {
    client: async_nats::Client,
    ctx: Arc<AppContext>,
    schema: AppSchema,
    command_prefix: String,
}

/// Answers commands for as long as the process runs. Instances share the
/// work through a queue group: each request is answered by one of them.
pub fn spawn_command_listener(
    client: async_nats::Client,
    settings: &NatsSettings,
    ctx: Arc<AppContext>,
    schema: AppSchema,
) -> JoinHandle<()> {
    let subjects = settings.commands_subjects();
    let queue = format!("{}.commands", settings.subject_prefix);
    let listener = Listener { client, ctx, schema, command_prefix: settings.command_subject_prefix() };
    tokio::spawn(async move {
        let turns = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut failures = 0u32;
        loop {
            match listener.client.queue_subscribe(subjects.clone(), queue.clone()).await {
                Ok(mut requests) => {
                    failures = 0;
                    while let Some(message) = requests.next().await {
                        let Ok(turn) = turns.clone().acquire_owned().await else { return };
                        let listener = listener.clone();
                        tokio::spawn(async move {
                            listener.answer(message).await;
                            drop(turn);
                        });
                    }
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%error, failures, "cannot listen for commands on NATS; retrying");
                }
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.clamp(1, 25)))).await;
        }
    })
}

impl Listener {
    async fn answer(&self, message: async_nats::Message) {
        let command = message.subject.strip_prefix(self.command_prefix.as_str()).unwrap_or_default().to_string();
        let Some(reply_to) = message.reply else {
            tracing::warn!(subject = %message.subject, "a command without a reply subject was dropped unread");
            return;
        };
        let started = Instant::now();
        let reply = self.run(&command, &message.payload).await;
        let code = reply["error"]["code"].as_str().unwrap_or("OK");
        tracing::info!(
            command,
            code,
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "command over NATS"
        );
        let body = serde_json::to_vec(&reply).unwrap_or_default();
        if let Err(error) = self.client.publish(reply_to, body.into()).await {
            tracing::warn!(%error, command, "cannot send a command's reply");
        }
    }

    async fn run(&self, command: &str, payload: &[u8]) -> Value {
        let Some(document) = documents::document(command) else {
            let known: Vec<_> = COMMANDS.iter().map(|(name, _)| *name).collect();
            let shown: String = command.chars().take(64).collect();
            return reply::error(
                "BAD_REQUEST",
                format!("{shown:?} is not a command; the commands are {}.", known.join(", ")),
            );
        };
        let Ok(request) = serde_json::from_slice::<CommandRequest>(payload) else {
            return reply::error("BAD_REQUEST", NOT_A_COMMAND);
        };
        let auth = match request.token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => return reply::error("UNAUTHENTICATED", "A command needs a token: send {\"token\": \"<JWT>\", …}."),
            Some(token) => match authenticate(&self.ctx, Some(token)) {
                Ok(actor) => RequestAuth::Valid(actor),
                Err(_) => RequestAuth::Invalid,
            },
        };
        let mut variables = serde_json::Map::new();
        if let Some(input) = request.input {
            variables.insert("input".into(), input);
        }
        let mut graphql = async_graphql::Request::new(document)
            .variables(async_graphql::Variables::from_json(Value::Object(variables)));
        if let Err(refused) = guard::prepare(&mut graphql) {
            return reply::from_error(refused);
        }
        let response = self.schema.execute(graphql.data(auth)).await;
        reply::from_response(command, response)
    }
}
