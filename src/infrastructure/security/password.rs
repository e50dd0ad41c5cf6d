use std::sync::{LazyLock, Mutex};

use anyhow::Context;
use argon2::password_hash::{self, Output, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use tokio::sync::Semaphore;

use crate::application::ports::PasswordHasher;

/// Argon2id with the crate's default (OWASP-recommended) parameters and a
/// fresh random salt per hash. The parameters travel inside the PHC string,
/// so hashes made with older parameters still verify.
///
/// Hashing costs tens of milliseconds of CPU on purpose; it runs on the
/// blocking pool so that it never stalls the async workers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Hasher;

/// Each hash needs 19 MiB of working memory. Allocated per hash, such blocks
/// stay in the allocator's per-thread caches (50 logins one at a time grow a
/// server from 56 to 270 MB that way), and nothing else bounds how many run
/// at once. So at most one hash per core runs at a time, each in a buffer
/// kept for reuse.
struct Workspace {
    turns: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
}

static WORKSPACE: LazyLock<Workspace> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Workspace { turns: Semaphore::new(cores), buffers: Mutex::new(Vec::new()) }
});

/// Blocks of the default parameters; a stored hash that needs more gets a
/// buffer of its own for that one check.
const BLOCKS: usize = Params::DEFAULT_M_COST as usize;

/// Runs `work` with a working buffer, waiting for a turn first.
async fn with_workspace<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _turn = WORKSPACE.turns.acquire().await.context("the password hashing turns were closed")?;
    let lock = || WORKSPACE.buffers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut buffer = lock().pop().unwrap_or_else(|| vec![Block::default(); BLOCKS]);
    let (result, buffer) = tokio::task::spawn_blocking(move || {
        let result = work(&mut buffer);
        (result, buffer)
    })
    .await
    .context("the password hashing task did not finish")?;
    lock().push(buffer);
    Ok(result)
}

/// The Argon2 output of `password` under `params`, computed in `buffer`.
fn output(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: Salt<'_>,
    buffer: &mut [Block],
) -> password_hash::Result<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let needed = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    if needed > buffer.len() {
        let mut own = vec![Block::default(); needed];
        return Output::init_with(len, |out| {
            Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut own)?)
        });
    }
    Output::init_with(len, |out| Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut *buffer)?))
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        with_workspace(move |buffer| {
            // 16 random bytes from the OS-seeded thread RNG; built here so the salt's
            // source does not hang on an optional feature of a transitive crate.
            let mut bytes = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("cannot encode a salt: {e}"))?;
            let params = Params::DEFAULT;
            let hash = output(
                Algorithm::default(),
                Version::default(),
                params.clone(),
                password.as_bytes(),
                salt.as_salt(),
                buffer,
            )
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))?;
            let phc = PasswordHash {
                algorithm: Algorithm::default().ident(),
                version: Some(Version::default().into()),
                params: (&params).try_into().map_err(|e| anyhow::anyhow!("cannot encode the parameters: {e}"))?,
                salt: Some(salt.as_salt()),
                hash: Some(hash),
            };
            Ok(phc.to_string())
        })
        .await?
    }

    async fn verify(&self, password: &str, hash: &str) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        with_workspace(move |buffer| {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("the stored password hash is malformed: {e}"))?;
            let cannot_check =
                |e: &dyn std::fmt::Display| anyhow::anyhow!("the stored password hash cannot be checked: {e}");
            let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| cannot_check(&e))?;
            let version =
                parsed.version.map(Version::try_from).transpose().map_err(|e| cannot_check(&e))?.unwrap_or_default();
            let params = Params::try_from(&parsed).map_err(|e| cannot_check(&e))?;
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                return Err(anyhow::anyhow!("the stored password hash has no salt or no output"));
            };
            let computed =
                output(algorithm, version, params, password.as_bytes(), salt, buffer).map_err(|e| cannot_check(&e))?;
            // Output compares in constant time.
            Ok(computed == expected)
        })
        .await?
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
    async fn hashes_of_the_argon2_crate_verify_and_ours_verify_there() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::default().hash_password(b"correct horse", &salt).unwrap().to_string();
        assert!(Argon2Hasher.verify("correct horse", &theirs).await.unwrap());
        assert!(!Argon2Hasher.verify("correct horsE", &theirs).await.unwrap());
        let ours = Argon2Hasher.hash("correct horse").await.unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap()).is_ok());
    }

    #[tokio::test]
    async fn hashes_with_more_memory_than_the_kept_buffers_still_verify() {
        use argon2::PasswordHasher as _;
        let params = Params::new(BLOCKS as u32 * 2, 1, 1, None).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let stored = argon2.hash_password(b"correct horse", &salt).unwrap().to_string();
        assert!(Argon2Hasher.verify("correct horse", &stored).await.unwrap());
        assert!(!Argon2Hasher.verify("wrong", &stored).await.unwrap());
    }

    #[tokio::test]
    async fn concurrent_hashes_reuse_at_most_one_buffer_per_turn() {
        let checks: Vec<_> = (0..8).map(|i| async move { Argon2Hasher.hash(&format!("password {i}")).await }).collect();
        for hash in futures::future::join_all(checks).await {
            assert!(hash.unwrap().starts_with("$argon2id$"));
        }
        let kept = WORKSPACE.buffers.lock().unwrap().len();
        let turns = std::thread::available_parallelism().map_or(2, usize::from);
        assert!(kept <= turns, "{kept} buffers kept for {turns} turns");
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_is_an_error() {
        let hasher = Argon2Hasher;
        assert!(hasher.verify("correct horse", "not a hash").await.is_err());
        assert!(hasher.verify("correct horse", "").await.is_err());
    }
}
