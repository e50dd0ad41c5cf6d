//! Counting requests and GraphQL operations. Operation names come from
//! clients, so the label set is bounded: past `MAX_OPERATION_NAMES` distinct
//! names, new ones are counted as `(other)`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use async_graphql::parser::types::OperationType;

use super::catalog::{GRAPHQL_OPERATION_DURATION, GRAPHQL_OPERATIONS, HTTP_REQUEST_DURATION, HTTP_REQUESTS};

/// Distinct operation names kept as labels; an application has tens.
pub const MAX_OPERATION_NAMES: usize = 256;
/// A longer name is counted as `(other)`.
const MAX_NAME_BYTES: usize = 100;
const OTHER: &str = "(other)";
/// The operation had no name.
const ANONYMOUS: &str = "-";

/// What one GraphQL operation of a request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationOutcome {
    /// The selected operation's name in the document.
    pub name: Option<String>,
    /// `query`, `mutation`, `subscription`, or `unknown` when the document
    /// did not parse or names no such operation.
    pub kind: &'static str,
    /// `OK`, or the first error's `extensions.code`.
    pub code: String,
}

impl OperationOutcome {
    pub fn new(name: Option<&str>, ty: Option<OperationType>, response: &async_graphql::Response) -> Self {
        let kind = match ty {
            Some(OperationType::Query) => "query",
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            None => "unknown",
        };
        let code = response.errors.first().map_or_else(|| "OK".to_string(), |error| error_code(error).to_string());
        Self { name: name.map(String::from), kind, code }
    }

    /// A request refused before any operation ran (bad JSON, CSRF, limits).
    pub fn refused(code: &str) -> Self {
        Self { name: None, kind: "unknown", code: bounded_code(code).to_string() }
    }
}

fn error_code(error: &async_graphql::ServerError) -> &str {
    match error.extensions.as_ref().and_then(|extensions| extensions.get("code")) {
        Some(async_graphql::Value::String(code)) => bounded_code(code),
        _ => "NONE",
    }
}

/// Codes are the server's own words; anything else is not a label.
fn bounded_code(code: &str) -> &str {
    let plausible = !code.is_empty() && code.len() <= 40 && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if plausible { code } else { "OTHER" }
}

/// Records one answered HTTP request and the operations it carried.
pub fn record(method: &str, route: &str, status: u16, elapsed: Duration, operations: &[OperationOutcome]) {
    let seconds = elapsed.as_secs_f64();
    let method = method.to_string();
    let route = route.to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, "method" => method, "route" => route).record(seconds);
    for operation in operations {
        let name = operation_label(operation.name.as_deref());
        metrics::counter!(
            GRAPHQL_OPERATIONS,
            "operation" => name.clone(),
            "type" => operation.kind,
            "code" => operation.code.clone()
        )
        .increment(1);
        metrics::histogram!(GRAPHQL_OPERATION_DURATION, "operation" => name, "type" => operation.kind).record(seconds);
    }
}

fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name else {
        return ANONYMOUS.to_string();
    };
    if name.len() > MAX_NAME_BYTES {
        return OTHER.to_string();
    }
    let mut seen = SEEN.get_or_init(Mutex::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_string());
        name.to_string()
    } else {
        OTHER.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_are_not_the_servers_words_are_not_labels() {
        assert_eq!(bounded_code("BAD_USER_INPUT"), "BAD_USER_INPUT");
        assert_eq!(bounded_code("x\"} 1\n"), "OTHER");
        assert_eq!(bounded_code(&"A".repeat(41)), "OTHER");
    }

    #[test]
    fn operation_names_stop_growing_the_label_set_at_its_bound() {
        assert_eq!(operation_label(None), "-");
        assert_eq!(operation_label(Some(&"n".repeat(MAX_NAME_BYTES + 1))), "(other)");
        // Fill the set (other tests of this binary may have added some).
        for i in 0..MAX_OPERATION_NAMES {
            operation_label(Some(&format!("Filler{i}")));
        }
        assert_eq!(operation_label(Some("OneTooMany")), "(other)");
        assert_eq!(operation_label(Some("Filler0")), "Filler0");
    }
}
