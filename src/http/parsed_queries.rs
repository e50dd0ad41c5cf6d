//! Parsed GraphQL documents, kept by query text: clients (Apollo, GraphiQL,
//! the load generator) send the same few operations over and over with other
//! variables, and parsing was the largest single cost of a small query.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Distinct operations kept.
const CAPACITY: usize = 512;
/// Longer query texts are parsed every time rather than kept.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

pub struct ParsedQueries {
    documents: Mutex<LruCache<String, Arc<ExecutableDocument>>>,
}

impl Default for ParsedQueries {
    fn default() -> Self {
        ParsedQueries { documents: Mutex::new(LruCache::new(NonZeroUsize::new(CAPACITY).expect("non-zero"))) }
    }
}

impl ParsedQueries {
    /// Gives `request` its parsed document from the cache, or parses it and
    /// keeps the result. A query that does not parse is left to the schema,
    /// which reports the syntax error as usual.
    pub fn prepare(&self, request: &mut Request) {
        if request.query.len() > MAX_CACHED_QUERY_BYTES {
            return;
        }
        let cached = self.lock().get(&request.query).cloned();
        if let Some(document) = cached {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return;
        }
        if let Ok(document) = request.parsed_query() {
            let document = Arc::new(document.clone());
            let query = request.query.clone();
            self.lock().put(query, document);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Arc<ExecutableDocument>>> {
        self.documents.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_document_is_the_one_parsing_gives() {
        let cache = ParsedQueries::default();
        let query = "query($id: ID!) { account(id: $id) { balance } }";
        let mut first = Request::new(query);
        cache.prepare(&mut first);
        let mut second = Request::new(query);
        cache.prepare(&mut second);
        let mut parsed = Request::new(query);
        assert_eq!(format!("{:?}", second.parsed_query().unwrap()), format!("{:?}", parsed.parsed_query().unwrap()));
        assert_eq!(cache.lock().len(), 1);
    }

    #[test]
    fn syntax_errors_are_not_kept() {
        let cache = ParsedQueries::default();
        let mut request = Request::new("{ account(id: ");
        cache.prepare(&mut request);
        assert_eq!(cache.lock().len(), 0);
        assert!(request.parsed_query().is_err(), "the schema still reports the error");
    }
}
