use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::value::Role;

#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &str) -> anyhow::Result<String>;
    /// False for a wrong password; an error only for a corrupt hash.
    async fn verify(&self, password: &str, hash: &str) -> anyhow::Result<bool>;
}

/// A signed-in identity, as carried by a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenClaims {
    pub client_id: Uuid,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub trait TokenService: Send + Sync {
    fn issue(&self, client_id: Uuid, role: Role) -> anyhow::Result<IssuedToken>;
    /// `None` for a malformed, forged or expired token.
    fn verify(&self, token: &str) -> Option<TokenClaims>;
}

/// Draws candidate account numbers; uniqueness is enforced by the store.
pub trait AccountNumberGenerator: Send + Sync {
    fn next_payload(&self) -> u32;
}
