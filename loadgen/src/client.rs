//! GraphQL over HTTP: one POST per operation, answers sorted into data,
//! GraphQL errors (by `extensions.code`) and transport failures.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use crate::stats::Outcome;

/// Why an operation has no data.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The server answered with GraphQL errors; the first one's code and message.
    Graphql { code: String, message: String },
    /// No GraphQL answer at all.
    Transport(String),
}

impl Failure {
    pub fn code(&self) -> &str {
        match self {
            Failure::Graphql { code, .. } => code,
            Failure::Transport(kind) => kind,
        }
    }

    pub fn outcome(self) -> Outcome {
        match self {
            Failure::Graphql { code, .. } => Outcome::Error(code),
            Failure::Transport(kind) => Outcome::Transport(kind),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Graphql { code, message } => write!(f, "{code}: {message}"),
            Failure::Transport(kind) => write!(f, "transport error: {kind}"),
        }
    }
}

impl std::error::Error for Failure {}

#[derive(Clone)]
pub struct Gql {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Gql {
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(timeout).tcp_nodelay(true).build()?;
        Ok(Gql { http, url: url.to_owned(), token: None })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The same client (and connection pool), signed in.
    pub fn with_token(&self, token: &str) -> Self {
        Gql { token: Some(token.to_owned()), ..self.clone() }
    }

    /// Runs one operation; `Ok` carries `data`.
    pub async fn execute(&self, query: &str, variables: Value) -> Result<Value, Failure> {
        let mut request = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|err| transport(&err))?;
        let status = response.status();
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(err) if status.is_success() => return Err(transport(&err)),
            Err(_) => return Err(Failure::Transport(format!("HTTP_{}", status.as_u16()))),
        };
        classify(body, status.as_u16())
    }
}

/// Data when there is no error; otherwise the first error's code.
fn classify(mut body: Value, status: u16) -> Result<Value, Failure> {
    if let Some(first) = body.get("errors").and_then(Value::as_array).and_then(|e| e.first()) {
        let code = first["extensions"]["code"].as_str().unwrap_or("NO_CODE").to_owned();
        let message = first["message"].as_str().unwrap_or_default().to_owned();
        return Err(Failure::Graphql { code, message });
    }
    match body.get_mut("data").map(Value::take) {
        Some(data) if !data.is_null() => Ok(data),
        _ => Err(Failure::Transport(format!("HTTP_{status}_NO_DATA"))),
    }
}

fn transport(err: &reqwest::Error) -> Failure {
    let kind = if err.is_timeout() {
        "TIMEOUT"
    } else if err.is_connect() {
        "CONNECT"
    } else if err.is_decode() {
        "BAD_BODY"
    } else {
        "REQUEST"
    };
    Failure::Transport(kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_sorted_by_code() {
        let body = json!({"data": null, "errors": [{"message": "no", "extensions": {"code": "INSUFFICIENT_FUNDS"}}]});
        let failure = classify(body, 200).unwrap_err();
        assert_eq!(failure.code(), "INSUFFICIENT_FUNDS");
        let ok = classify(json!({"data": {"a": 1}}), 200).unwrap();
        assert_eq!(ok["a"], 1);
        assert!(matches!(
            classify(json!({}), 502),
            Err(Failure::Transport(kind)) if kind == "HTTP_502_NO_DATA"
        ));
    }
}
