//! The response's media type, chosen from `Accept` as the GraphQL-over-HTTP
//! spec says: `application/graphql-response+json` for a client that asks for
//! it (Apollo Client does) and, since the spec's watershed of 2025-01-01, for
//! a request with no `Accept` at all; `application/json` otherwise (`*/*`,
//! `application/json`). With the former, a request that never reached
//! execution (it did not parse or validate) is answered with HTTP 400 and no
//! `data` key; with the latter, every GraphQL answer is a 200.

use axum::http::{HeaderMap, header};

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
pub const JSON: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Json,
    GraphqlResponseJson,
}

impl MediaType {
    /// `application/graphql-response+json` when `Accept` names it with a
    /// weight at least that of `application/json`, or when there is no
    /// `Accept`; anything else (`*/*`, `application/json`) gets `application/json`.
    pub fn from_accept(headers: &HeaderMap) -> Self {
        if !headers.contains_key(header::ACCEPT) {
            return Self::GraphqlResponseJson;
        }
        let (mut graphql, mut json) = (0.0_f32, 0.0_f32);
        for range in headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')) {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match essence.as_str() {
                "application/graphql-response+json" => graphql = graphql.max(weight),
                "application/json" => json = json.max(weight),
                _ => {}
            }
        }
        if graphql > 0.0 && graphql >= json { Self::GraphqlResponseJson } else { Self::Json }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => JSON,
            Self::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> MediaType {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        MediaType::from_accept(&headers)
    }

    #[test]
    fn a_client_that_asks_or_says_nothing_gets_graphql_response_json() {
        assert_eq!(MediaType::from_accept(&HeaderMap::new()), MediaType::GraphqlResponseJson);
        assert_eq!(accept("*/*"), MediaType::Json);
        assert_eq!(accept("application/json"), MediaType::Json);
        // What Apollo Client 4 sends.
        assert_eq!(accept("application/graphql-response+json,application/json;q=0.9"), MediaType::GraphqlResponseJson);
        assert_eq!(accept("application/graphql-response+json"), MediaType::GraphqlResponseJson);
        assert_eq!(accept("application/json, application/graphql-response+json;q=0.5"), MediaType::Json);
        assert_eq!(accept("application/graphql-response+json;q=0"), MediaType::Json);
    }
}
