use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

use super::{Account, Client, Event, Transfer};
use crate::application::sign_in::SignedIn;
use crate::graphql::scalars::Position;

/// The answer of `register` and `login`: a bearer token and who it is for.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// HS256 JWT to send as 'Authorization: Bearer <token>' and in connection_init.
    pub token: String,
    /// When the token stops being accepted (then log in again; an expired token is UNAUTHENTICATED).
    pub expires_at: DateTime<Utc>,
    /// The client the token is for.
    pub client: Client,
}

impl From<SignedIn> for AuthPayload {
    fn from(signed_in: SignedIn) -> Self {
        AuthPayload {
            token: signed_in.token.token,
            expires_at: signed_in.token.expires_at,
            client: signed_in.client.into(),
        }
    }
}

/// The answer of a mutation on one account.
#[derive(SimpleObject)]
pub struct AccountPayload {
    /// The account as the command left it (at the version of its last event);
    /// a repeat with the same commandId answers the same.
    pub account: Account,
    /// Events the command recorded (for a repeat: the first run's).
    pub events: Vec<Event>,
    /// Global position of the last event recorded.
    pub position: Position,
}

/// The answer of `transfer`.
#[derive(SimpleObject)]
pub struct TransferPayload {
    /// The transfer as it stands when the mutation answers: COMPLETED or FAILED once settled, else PENDING.
    pub transfer: Transfer,
    /// The events of the transfer so far: its request, and its outcome when it
    /// settled while the mutation waited for it.
    pub events: Vec<Event>,
}
