use anyhow::Context;
use argon2::password_hash::{self, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use async_trait::async_trait;

use crate::application::ports::PasswordHasher;

/// Argon2id with the crate's default (OWASP-recommended) parameters and a
/// fresh random salt per hash. The parameters travel inside the PHC string,
/// so hashes made with older parameters still verify.
///
/// Hashing costs tens of milliseconds of CPU on purpose; it runs on the
/// blocking pool so that it never stalls the async workers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Hasher;

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            // 16 random bytes from the OS-seeded thread RNG; built here so the salt's
            // source does not hang on an optional feature of a transitive crate.
            let mut bytes = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("cannot encode a salt: {e}"))?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
        })
        .await
        .context("the password hashing task did not finish")?
    }

    async fn verify(&self, password: &str, hash: &str) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("the stored password hash is malformed: {e}"))?;
            match Argon2::default().verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(password_hash::Error::Password) => Ok(false),
                Err(e) => Err(anyhow::anyhow!("the stored password hash cannot be checked: {e}")),
            }
        })
        .await
        .context("the password verification task did not finish")?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let hasher = Argon2Hasher;
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(hasher.verify("correct horse", &hash).await.unwrap());
        assert!(!hasher.verify("wrong horse!", &hash).await.unwrap());
    }

    #[tokio::test]
    async fn every_hash_has_its_own_salt() {
        let hasher = Argon2Hasher;
        let first = hasher.hash("correct horse").await.unwrap();
        let second = hasher.hash("correct horse").await.unwrap();
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_is_an_error() {
        let hasher = Argon2Hasher;
        assert!(hasher.verify("correct horse", "not a hash").await.is_err());
        assert!(hasher.verify("correct horse", "").await.is_err());
    }
}
