//! Signing up, signing in, and turning a bearer token into an actor.

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

pub async fn register(ctx: &AppContext, command: RegisterClient, meta: CommandMeta) -> Result<SignedIn, AppError> {
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

/// No token (or an empty one) is anonymous; a bad one is an error.
pub fn authenticate(ctx: &AppContext, authorization: Option<&str>) -> Result<Actor, AppError> {
    let Some(token) = authorization.and_then(bearer_token) else {
        return Ok(Actor::Anonymous);
    };
    ctx.tokens
        .verify(token)
        .map(|claims| Actor::Client { id: claims.client_id, role: claims.role })
        .ok_or(AppError::Unauthenticated)
}

/// The token of an `Authorization` value, for HTTP headers and websocket
/// payloads alike: `"Bearer abc"` gives `"abc"`, with the scheme in any case
/// (RFC 7235 makes it case-insensitive); a bare `"abc"` is taken as the
/// token itself; blank gives none.
pub fn bearer_token(value: &str) -> Option<&str> {
    const SCHEME: &str = "bearer ";
    let value = value.trim_start();
    let token = match value.get(..SCHEME.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(SCHEME) => &value[SCHEME.len()..],
        _ => value,
    };
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc", "  Bearer   abc  "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
    }

    #[test]
    fn a_bare_token_is_the_token_and_blanks_are_none() {
        assert_eq!(bearer_token("abc"), Some("abc"));
        assert_eq!(bearer_token(" abc "), Some("abc"));
        for blank in ["", "   ", "Bearer ", "bearer    "] {
            assert_eq!(bearer_token(blank), None, "{blank:?}");
        }
    }

    #[test]
    fn multibyte_values_do_not_panic() {
        assert_eq!(bearer_token("é"), Some("é"));
        assert_eq!(bearer_token("ééééé"), Some("ééééé"));
    }
}
