//! Which subscriptions may share one evaluation: the same document, operation
//! and variables, run for callers who see the same things.

use async_graphql::Request;
use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
use async_graphql::{Name, Value};

/// Subscriptions with equal keys produce equal results, so one evaluation
/// serves them all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareKey {
    document: String,
    operation_name: Option<String>,
    variables: String,
    /// Who the caller is for authorization (see `WsSession::share_as`).
    visibility: String,
}

/// The argument with which this API's subscriptions start from a position
/// of the client's choosing (`events(after:)`): such a subscription replays
/// history of its own and runs alone.
const RESUME_ARGUMENT: &str = "after";

/// The key of a subscription that may share its evaluation with others, or
/// `None`: one that starts from a position of its own, or that carries
/// anything besides its document and variables (extensions, uploads).
pub fn share_key(request: &mut Request, visibility: &str) -> Option<ShareKey> {
    if !request.extensions.0.is_empty() || !request.uploads.is_empty() {
        return None;
    }
    let variables = serde_json::to_string(&request.variables).ok()?;
    let operation_name = request.operation_name.clone();
    let provided = request.variables.clone();
    let document = request.parsed_query().ok()?;
    let operation = match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(operation), None) => operation,
        (DocumentOperations::Single(_), Some(_)) => return None,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
        // A lone named operation runs without its name being given.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations.values().next()?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    if operation.node.ty != OperationType::Subscription {
        return None;
    }
    let default_of = |variable: &Name| {
        let definition = operation.node.variable_definitions.iter().find(|d| d.node.name.node == *variable)?;
        definition.node.default_value.as_ref().map(|value| value.node.clone())
    };
    for selection in &operation.node.selection_set.node.items {
        // Fragments at the root are legal but rare: not worth following here.
        let Selection::Field(field) = &selection.node else { return None };
        for (name, value) in &field.node.arguments {
            if name.node != RESUME_ARGUMENT {
                continue;
            }
            // A variable left out takes its default, else null.
            let resolved = value.node.clone().into_const_with(|variable| {
                Ok::<_, ()>(provided.get(&variable).cloned().or_else(|| default_of(&variable)).unwrap_or(Value::Null))
            });
            let starts_somewhere = resolved.map_or(true, |value| value != Value::Null);
            if starts_somewhere {
                return None;
            }
        }
    }
    Some(ShareKey {
        document: normalized(&request.query),
        operation_name,
        variables,
        visibility: visibility.to_owned(),
    })
}

/// The document with each run of whitespace outside strings made one space,
/// so that indentation does not keep two subscribers apart. Documents with
/// block strings or comments are left as they are.
fn normalized(document: &str) -> String {
    if document.contains("\"\"\"") || document.contains('#') {
        return document.to_owned();
    }
    let mut out = String::with_capacity(document.len());
    let (mut in_string, mut escaped, mut space) = (false, false, false);
    for c in document.trim().chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(query: &str, variables: serde_json::Value) -> Option<ShareKey> {
        let mut request = Request::new(query).variables(async_graphql::Variables::from_json(variables));
        share_key(&mut request, "customer 1")
    }

    #[test]
    fn live_subscriptions_share_whatever_their_layout() {
        let a = key("subscription { events { position } }", json!({}));
        let b = key("subscription {\n  events {\n    position\n  }\n}\n", json!({}));
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(a, key("subscription { events { position type } }", json!({})));
    }

    #[test]
    fn named_operations_share_by_name() {
        let named = key("subscription Live { events { position } }", json!({}));
        assert!(named.is_some());
        assert_ne!(named, key("subscription Other { events { position } }", json!({})));
        let mut chosen = Request::new("subscription A { events { position } } subscription B { events { type } }")
            .operation_name("B");
        assert!(share_key(&mut chosen, "customer 1").is_some());
        let mut unchosen = Request::new("subscription A { events { position } } subscription B { events { type } }");
        assert!(share_key(&mut unchosen, "customer 1").is_none());
    }

    #[test]
    fn strings_keep_their_spaces() {
        assert_ne!(normalized(r#"{ a(x: "1  2") }"#), normalized(r#"{ a(x: "1 2") }"#));
        assert_eq!(normalized("{ a(x: \"\\\"  \")   b }"), "{ a(x: \"\\\"  \") b }");
    }

    #[test]
    fn a_start_position_runs_alone() {
        assert!(key(r#"subscription { events(after: "0") { position } }"#, json!({})).is_none());
        let by_variable = "subscription($a: Position) { events(after: $a) { position } }";
        assert!(key(by_variable, json!({"a": "5"})).is_none());
        assert!(key(by_variable, json!({})).is_some());
        assert!(key(by_variable, json!({"a": null})).is_some());
        let defaulted = r#"subscription($a: Position = "0") { events(after: $a) { position } }"#;
        assert!(key(defaulted, json!({})).is_none());
        assert!(key("subscription { events(after: null) { position } }", json!({})).is_some());
    }

    #[test]
    fn variables_and_visibility_are_part_of_the_key() {
        let query = "subscription($id: ID!) { accountUpdated(id: $id) { balance } }";
        assert_ne!(key(query, json!({"id": "a"})), key(query, json!({"id": "b"})));
        let mut request = Request::new(query).variables(async_graphql::Variables::from_json(json!({"id": "a"})));
        assert_ne!(share_key(&mut request, "customer 2"), key(query, json!({"id": "a"})));
    }

    #[test]
    fn only_subscriptions_share() {
        assert!(key("{ me { id } }", json!({})).is_none());
        assert!(key("subscription { ...F } fragment F on Subscription { events { position } }", json!({})).is_none());
    }
}
