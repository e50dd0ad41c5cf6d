//! The sign-up and sign-in use cases: each answers with a token and the
//! client it names.

use std::net::IpAddr;
use std::time::Instant;

use tokio::sync::OnceCell;

use super::commands::{Command, CommandMeta, PlainPassword, RegisterClient};
use super::ports::{ClientView, IssuedToken};
use super::{Actor, AppContext, AppError};

/// What registration and login answer with.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: IssuedToken,
    pub client: ClientView,
}

/// Registers a customer, on no one's behalf (a caller's token plays no
/// part), and signs them in.
pub async fn register(ctx: &AppContext, command: RegisterClient) -> Result<SignedIn, AppError> {
    let meta = CommandMeta::request(Actor::Anonymous, None);
    let events = ctx.bus.dispatch(Command::RegisterClient(command), meta).await?;
    let client_id =
        events.first().map(|e| e.stream_id).ok_or_else(|| anyhow::anyhow!("registration recorded no event"))?;
    sign_in(ctx, client_id).await
}

/// Throttled first (see `login_throttle`): a throttled attempt is refused
/// before anything is read or hashed, so it costs no password work and says
/// nothing about the login.
pub async fn login(ctx: &AppContext, login: &str, password: &str, from: Option<IpAddr>) -> Result<SignedIn, AppError> {
    let attempt = ctx
        .login_throttle
        .admit(login, from, Instant::now())
        .map_err(|throttled| AppError::Throttled { retry_after_seconds: throttled.retry_after_seconds() })?;
    let outcome = check_credentials(ctx, login, password).await;
    match &outcome {
        Ok(_) => ctx.login_throttle.succeeded(attempt, Instant::now()),
        Err(AppError::InvalidCredentials) => ctx.login_throttle.failed(attempt, Instant::now()),
        Err(_) => ctx.login_throttle.abandoned(attempt),
    }
    outcome
}

/// Same answer, and about the same time, whether the login or the password was wrong.
async fn check_credentials(ctx: &AppContext, login: &str, password: &str) -> Result<SignedIn, AppError> {
    let Ok(password) = PlainPassword::new(password) else {
        return Err(AppError::InvalidCredentials);
    };
    let credentials = ctx.clients.credentials(login.trim()).await?;
    let (hash, client_id) = match &credentials {
        Some(c) => (c.password_hash.clone(), Some(c.id)),
        None => (dummy_hash(ctx).await?.to_string(), None),
    };
    let matches = ctx.hasher.verify(password.expose(), &hash).await?;
    match client_id {
        Some(id) if matches => sign_in(ctx, id).await,
        _ => Err(AppError::InvalidCredentials),
    }
}

async fn sign_in(ctx: &AppContext, client_id: uuid::Uuid) -> Result<SignedIn, AppError> {
    let client = ctx
        .clients
        .get(client_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("client {client_id} is missing from the read model"))?;
    let token = ctx.tokens.issue(client.id, client.role)?;
    Ok(SignedIn { token, client })
}

/// A real hash to verify against when the login is unknown, so that timing
/// does not tell which logins exist.
async fn dummy_hash(ctx: &AppContext) -> anyhow::Result<&'static str> {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    DUMMY.get_or_try_init(|| ctx.hasher.hash("not-a-real-password")).await.map(String::as_str)
}
