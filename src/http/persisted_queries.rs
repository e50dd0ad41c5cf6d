//! Automatic persisted queries, as Apollo Server answers them: Apollo's
//! `PersistedQueryLink` first sends only `extensions.persistedQuery` (the
//! query's SHA-256); an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND`
//! and the link resends with the query, which is kept under its hash once it
//! validated.
//!
//! The cache is per process and bounded by bytes of query text (least recently
//! used first out); a restart empties it, and the link recovers by resending.

use std::sync::Mutex;

use async_graphql::{ErrorExtensionValues, Request, ServerError, Value};
use lru::LruCache;
use sha2::{Digest, Sha256};

/// The most query text (with its hash) the cache may hold.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// The only version of the extension Apollo has defined.
const VERSION: i64 = 1;
const EXTENSION: &str = "persistedQuery";
/// What Apollo's link looks for to resend with the query.
const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";
const NOT_FOUND_CODE: &str = "PERSISTED_QUERY_NOT_FOUND";

/// Why a request's `persistedQuery` extension cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// The hash is not in the cache: the client must send the query.
    NotFound,
    /// The extension is malformed or does not match the query (BAD_REQUEST).
    Refused(&'static str),
}

/// A query and its checked hash, to keep once the query has validated.
pub struct Pending {
    hash: String,
    query: String,
}

struct Cache {
    entries: LruCache<String, String>,
    bytes: usize,
}

pub struct PersistedQueries {
    cache: Mutex<Cache>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries { cache: Mutex::new(Cache { entries: LruCache::unbounded(), bytes: 0 }) }
    }
}

impl PersistedQueries {
    /// Applies the request's `persistedQuery` extension: a request with only
    /// a hash gets the kept query; one with a query must carry its hash.
    /// Requests without the extension pass unchanged.
    pub fn resolve(&self, mut request: Request) -> Result<Request, Unresolved> {
        let Some(hash) = requested_hash(&request)? else {
            return Ok(request);
        };
        if request.query.is_empty() {
            request.query = self.lock().entries.get(hash).cloned().ok_or(Unresolved::NotFound)?;
        } else if sha256_hex(&request.query) != hash {
            return Err(Unresolved::Refused("provided sha does not match query"));
        }
        Ok(request)
    }

    /// The query to keep if the request runs without a parse or validation
    /// error: one that `resolve` let through with a hash that is not kept
    /// yet. Requests without the extension give none.
    pub fn pending(&self, request: &Request) -> Option<Pending> {
        let hash = requested_hash(request).ok()??;
        // `get` also marks a kept query as used.
        if self.lock().entries.get(hash).is_some() {
            return None;
        }
        Some(Pending { hash: hash.to_string(), query: request.query.clone() })
    }

    /// Keeps a query under its hash, evicting the least recently used ones
    /// while the cache would exceed `MAX_BYTES`.
    pub fn keep(&self, Pending { hash, query }: Pending) {
        let bytes = hash.len() + query.len();
        if bytes > MAX_BYTES {
            return;
        }
        let mut cache = self.lock();
        if let Some(old) = cache.entries.put(hash.clone(), query) {
            cache.bytes -= hash.len() + old.len();
        }
        cache.bytes += bytes;
        while cache.bytes > MAX_BYTES {
            let Some((hash, query)) = cache.entries.pop_lru() else { break };
            cache.bytes -= hash.len() + query.len();
        }
    }

    /// Queries kept and their bytes.
    pub fn usage(&self) -> (usize, usize) {
        let cache = self.lock();
        (cache.entries.len(), cache.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The error Apollo's link answers by resending with the query (HTTP 200).
pub fn not_found() -> ServerError {
    let mut error = ServerError::new(NOT_FOUND_MESSAGE, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", NOT_FOUND_CODE);
    error.extensions = Some(extensions);
    error
}

/// Whether `error` is the one `not_found` makes.
pub fn is_not_found(error: &ServerError) -> bool {
    let code = error.extensions.as_ref().and_then(|extensions| extensions.get("code"));
    matches!(code, Some(async_graphql::Value::String(code)) if code == NOT_FOUND_CODE)
}

/// The hash the request's `persistedQuery` extension names, if it has one.
fn requested_hash(request: &Request) -> Result<Option<&str>, Unresolved> {
    let Some(extension) = request.extensions.get(EXTENSION) else {
        return Ok(None);
    };
    let Value::Object(fields) = extension else {
        return Err(Unresolved::Refused("extensions.persistedQuery must be an object: { version: 1, sha256Hash }"));
    };
    match fields.get("version") {
        Some(Value::Number(version)) if version.as_i64() == Some(VERSION) => {}
        _ => return Err(Unresolved::Refused("Unsupported persisted query version: only version 1 is supported")),
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) => Ok(Some(hash)),
        _ => Err(Unresolved::Refused("extensions.persistedQuery.sha256Hash must be the query's SHA-256 in hex")),
    }
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(query: &str, hash: &str, version: i64) -> Request {
        let mut request = Request::new(query);
        let extension = serde_json::json!({ "version": version, "sha256Hash": hash });
        request.extensions.insert(EXTENSION.into(), Value::from_json(extension).unwrap());
        request
    }

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        // printf '{ me { id } }' | sha256sum
        assert_eq!(sha256_hex("{ me { id } }"), "c53d78fa4c9c65a93967d42316fcd207fd611c7cac40a103820a866c3e5dd8f5");
    }

    #[test]
    fn a_hash_alone_runs_only_a_kept_query() {
        let cache = PersistedQueries::default();
        let query = "{ me { id } }";
        let hash = sha256_hex(query);
        assert_eq!(cache.resolve(hashed("", &hash, 1)).err(), Some(Unresolved::NotFound));
        let full = cache.resolve(hashed(query, &hash, 1)).unwrap();
        assert_eq!(cache.usage().0, 0, "nothing is kept before it is told to");
        cache.keep(cache.pending(&full).unwrap());
        let again = cache.resolve(hashed("", &hash, 1)).unwrap();
        assert_eq!(again.query, query);
        assert!(cache.pending(&again).is_none(), "already kept");
    }

    #[test]
    fn a_wrong_hash_or_version_is_refused_and_never_kept() {
        let cache = PersistedQueries::default();
        let query = "{ me { id } }";
        let wrong = sha256_hex("{ me { username } }");
        assert!(matches!(cache.resolve(hashed(query, &wrong, 1)), Err(Unresolved::Refused(_))));
        assert!(matches!(cache.resolve(hashed(query, &sha256_hex(query), 2)), Err(Unresolved::Refused(_))));
        assert!(matches!(
            cache.resolve(hashed(query, &sha256_hex(query).to_uppercase(), 1)),
            Err(Unresolved::Refused(_))
        ));
        assert!(cache.pending(&hashed(query, &sha256_hex(query), 2)).is_none());
    }

    #[test]
    fn requests_without_the_extension_pass_unchanged_and_are_not_kept() {
        let cache = PersistedQueries::default();
        let request = cache.resolve(Request::new("{ me { id } }")).unwrap();
        assert_eq!(request.query, "{ me { id } }");
        assert!(cache.pending(&request).is_none());
    }

    #[test]
    fn the_cache_never_grows_past_its_byte_budget() {
        let cache = PersistedQueries::default();
        for n in 0..100 {
            let query = format!("{{ x{n} {} }}", "a ".repeat(50_000));
            cache.keep(cache.pending(&hashed(&query, &sha256_hex(&query), 1)).unwrap());
            assert!(cache.usage().1 <= MAX_BYTES);
        }
        let (entries, bytes) = cache.usage();
        assert!(entries < 100 && bytes > MAX_BYTES / 2, "{entries} entries, {bytes} bytes");
        let last = format!("{{ x99 {} }}", "a ".repeat(50_000));
        assert!(cache.resolve(hashed("", &sha256_hex(&last), 1)).is_ok(), "the newest is kept");
        let first = format!("{{ x0 {} }}", "a ".repeat(50_000));
        assert_eq!(cache.resolve(hashed("", &sha256_hex(&first), 1)).err(), Some(Unresolved::NotFound));
    }
}
