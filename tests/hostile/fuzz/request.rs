//! One generated request: what is sent, by whom, and how a failing case is
//! shown (proptest prints the shrunk value with `Debug`).

use std::fmt;

use proptest::prelude::*;

/// Whose token goes in the `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Alice,
    Admin,
    /// A bearer token that is no JWT at all.
    Forged,
}

/// One GraphQL operation: the query text and, when given, the variables as
/// raw JSON text (so nesting far past serde_json's recursion limit can be sent).
#[derive(Clone, Debug)]
pub struct Operation {
    pub query: String,
    pub variables: Option<String>,
}

impl Operation {
    pub fn query(query: impl Into<String>) -> Self {
        Operation { query: query.into(), variables: None }
    }

    pub fn with_variables(query: impl Into<String>, variables: impl Into<String>) -> Self {
        Operation { query: query.into(), variables: Some(variables.into()) }
    }

    /// `{"query": ..., "variables": ...}` as JSON text.
    pub fn to_json(&self) -> String {
        let query = serde_json::to_string(&self.query).expect("a string serializes");
        match &self.variables {
            Some(variables) => format!("{{\"query\":{query},\"variables\":{variables}}}"),
            None => format!("{{\"query\":{query}}}"),
        }
    }
}

#[derive(Clone)]
pub enum Hostile {
    /// POST /graphql with this body.
    Post { caller: Caller, content_type: Option<&'static str>, preflight: bool, body: Vec<u8> },
    /// GET /graphql with this query string.
    Get { caller: Caller, preflight: bool, params: Vec<(&'static str, String)> },
}

impl Hostile {
    pub fn json(caller: Caller, body: impl Into<Vec<u8>>) -> Self {
        Hostile::Post { caller, content_type: Some("application/json"), preflight: false, body: body.into() }
    }

    pub fn caller(&self) -> Caller {
        match self {
            Hostile::Post { caller, .. } | Hostile::Get { caller, .. } => *caller,
        }
    }
}

/// Long bodies are shown by their head and tail: shrinking usually makes
/// them short, and a huge one is still recognisable.
const SHOWN: usize = 3_000;

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let chars = text.chars().count();
    if chars <= SHOWN {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(SHOWN * 2 / 3).collect();
    let tail: String = text.chars().skip(chars - SHOWN / 3).collect();
    format!("{head:?} … ({chars} characters in all) … {tail:?}")
}

impl fmt::Debug for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hostile::Post { caller, content_type, preflight, body } => write!(
                f,
                "POST as {caller:?}, content-type {content_type:?}, preflight header {preflight}, {} bytes: {}",
                body.len(),
                shown(body)
            ),
            Hostile::Get { caller, preflight, params } => {
                write!(f, "GET as {caller:?}, preflight header {preflight}, query string:")?;
                for (name, value) in params {
                    write!(f, "\n  {name} = {}", shown(value.as_bytes()))?;
                }
                Ok(())
            }
        }
    }
}

pub fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        3 => Just(Caller::Alice),
        2 => Just(Caller::Admin),
        2 => Just(Caller::Anonymous),
        1 => Just(Caller::Forged),
    ]
}

/// Sends an operation as JSON over POST, or (one time in five, when it is
/// short enough for a URL) over GET.
pub fn send(operation: impl Strategy<Value = Operation>) -> impl Strategy<Value = Hostile> {
    (operation, caller(), 0u8..10).prop_map(|(operation, caller, pick)| {
        if pick < 2 && operation.query.len() < 2_000 && operation.variables.as_ref().is_none_or(|v| v.len() < 2_000) {
            let mut params = vec![("query", operation.query)];
            params.extend(operation.variables.map(|v| ("variables", v)));
            Hostile::Get { caller, preflight: pick == 0, params }
        } else {
            Hostile::json(caller, operation.to_json())
        }
    })
}
