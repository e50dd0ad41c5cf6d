//! Parsed GraphQL documents, kept by query text: clients (Apollo, GraphiQL,
//! the load generator) send the same few operations over and over with other
//! variables, and parsing was the largest single cost of a small query.
//!
//! Only documents that passed validation are kept, and the cache is bounded
//! by an estimate of its memory, so no sequence of requests can grow it past
//! `MAX_BYTES`: a parsed tree costs about `TREE_BYTES_PER_TOKEN` per token of
//! its text (600 distinct documents of 8,000 one-letter fields each took
//! 1.4 MB apiece).

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError};
use lru::LruCache;

use crate::graphql::guard::{self, Checked};

/// The most memory the kept documents may take, by the estimate below.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Longer query texts are parsed every time rather than kept.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;
/// Heap bytes of a parsed document per token of its text, rounded up from
/// the measurement above (175 bytes per token).
const TREE_BYTES_PER_TOKEN: usize = 256;

struct Entry {
    document: Arc<ExecutableDocument>,
    checked: Checked,
    bytes: usize,
}

struct Cache {
    entries: LruCache<String, Entry>,
    bytes: usize,
}

pub struct ParsedQueries {
    cache: Mutex<Cache>,
}

impl Default for ParsedQueries {
    fn default() -> Self {
        ParsedQueries { cache: Mutex::new(Cache { entries: LruCache::unbounded(), bytes: 0 }) }
    }
}

/// A request ready to run, and whether its document may be kept once it validates.
pub struct Prepared {
    pub checked: Checked,
    pub keep: bool,
    /// The document is a kept one: it validated before.
    pub validated: bool,
}

impl ParsedQueries {
    /// Checks `request` and gives it its parsed document: a kept one, or one
    /// parsed now behind the guard's limits.
    pub fn prepare(&self, request: &mut Request) -> Result<Prepared, ServerError> {
        let cached = self.lock().entries.get(&request.query).map(|e| (e.document.clone(), e.checked.clone()));
        if let Some((document, checked)) = cached {
            guard::check_variables(&checked, request)?;
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return Ok(Prepared { checked, keep: false, validated: true });
        }
        let checked = guard::prepare(request)?;
        Ok(Prepared { checked, keep: request.query.len() <= MAX_CACHED_QUERY_BYTES, validated: false })
    }

    /// Keeps a document that validated, evicting the least recently used
    /// ones while the cache would exceed `MAX_BYTES`.
    pub fn keep(&self, query: String, document: ExecutableDocument, checked: Checked) {
        let bytes = query.len() + checked.tokens * TREE_BYTES_PER_TOKEN;
        if bytes > MAX_BYTES {
            return;
        }
        let mut cache = self.lock();
        if let Some(old) = cache.entries.put(query, Entry { document: Arc::new(document), checked, bytes }) {
            cache.bytes -= old.bytes;
        }
        cache.bytes += bytes;
        while cache.bytes > MAX_BYTES {
            let Some((_, evicted)) = cache.entries.pop_lru() else { break };
            cache.bytes -= evicted.bytes;
        }
    }

    /// Documents kept and their estimated bytes.
    pub fn usage(&self) -> (usize, usize) {
        let cache = self.lock();
        (cache.entries.len(), cache.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(cache: &ParsedQueries, query: &str) -> (Request, Prepared) {
        let variables = serde_json::json!({ "id": "x", "n": "1" });
        let mut request = Request::new(query).variables(async_graphql::Variables::from_json(variables));
        let prepared = cache.prepare(&mut request).unwrap();
        (request, prepared)
    }

    fn keep(cache: &ParsedQueries, query: &str) {
        let (mut request, prepared) = prepared(cache, query);
        let document = request.parsed_query().unwrap().clone();
        cache.keep(query.to_string(), document, prepared.checked);
    }

    #[test]
    fn a_kept_document_is_the_one_parsing_gives() {
        let cache = ParsedQueries::default();
        let query = "query($id: ID!) { account(id: $id) { balance } }";
        keep(&cache, query);
        let (mut second, prepared) = prepared(&cache, query);
        assert!(!prepared.keep, "served from the cache");
        let mut parsed = Request::new(query);
        assert_eq!(format!("{:?}", second.parsed_query().unwrap()), format!("{:?}", parsed.parsed_query().unwrap()));
        assert_eq!(cache.usage().0, 1);
    }

    #[test]
    fn documents_are_kept_only_when_told_and_syntax_errors_never() {
        let cache = ParsedQueries::default();
        let (_, prepared) = prepared(&cache, "{ me { id } }");
        assert!(prepared.keep);
        assert_eq!(cache.usage().0, 0, "nothing is kept before validation");
        let mut request = Request::new("{ account(id: ");
        assert!(cache.prepare(&mut request).is_err());
        assert_eq!(cache.usage().0, 0);
    }

    #[test]
    fn the_cache_never_grows_past_its_byte_budget() {
        let cache = ParsedQueries::default();
        for n in 0..100 {
            let fields = "a ".repeat(1_000);
            keep(&cache, &format!("{{ x{n} {{ {fields} }} }}"));
            assert!(cache.usage().1 <= MAX_BYTES);
        }
        let (entries, bytes) = cache.usage();
        assert!(entries < 100 && bytes > MAX_BYTES / 2, "{entries} entries, {bytes} bytes");
    }

    #[test]
    fn a_cached_query_still_checks_its_variables() {
        let cache = ParsedQueries::default();
        let query = "query($n: String!) { accountByNumber(number: $n) { id } }";
        keep(&cache, query);
        let mut request =
            Request::new(query).variables(async_graphql::Variables::from_json(serde_json::json!({ "n": "1\u{0}" })));
        assert!(cache.prepare(&mut request).is_err());
    }
}
