//! Item 1: nesting deep enough to overflow the parser's stack is refused
//! before the parser sees it, on HTTP and on both websocket protocols.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Target, code};
use crate::ws_client::{LEGACY_WS, Received, TRANSPORT_WS, WsClient};

/// 1,800 levels overflowed a worker's stack; these go far past it.
const DEEP: usize = 5_000;

fn deep_documents() -> Vec<(&'static str, String)> {
    vec![
        ("list value", format!("query($x:ID={}{}){{__typename}}", "[".repeat(DEEP), "]".repeat(DEEP))),
        (
            "object value",
            format!("{{ events(filter: {}1{}) {{ totalCount }} }}", "{streamIds: ".repeat(DEEP), "}".repeat(DEEP)),
        ),
        ("selection set", format!("{{ me {}{} }}", "{ me ".repeat(DEEP), "}".repeat(DEEP))),
        ("list type", format!("query($x: {}ID{}) {{ __typename }}", "[".repeat(DEEP), "]".repeat(DEEP))),
        ("unbalanced", "[".repeat(200_000)),
    ]
}

#[tokio::test]
async fn deep_documents_are_refused_over_http_and_the_server_lives() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let rss_before = target.rss_kib();
    for (what, query) in deep_documents() {
        for token in [None, Some(target.alice.token.clone())] {
            let (status, body) = target.post(token.as_deref(), &query, json!({})).await;
            assert_eq!(status, StatusCode::OK, "{what}: {body}");
            assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{what}: {body}");
        }
        target.assert_alive();
    }
    let get = format!("{}?query={}", target.url(), "%5B".repeat(DEEP));
    let response = target.http.get(get).header("apollo-require-preflight", "true").send().await.unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

    target.assert_serves().await;
    assert_eq!(target.ledger().await, before, "nothing was written");
    let grown = target.rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB (bound: 64 MiB)");
}

#[tokio::test]
async fn nesting_within_the_limit_still_reaches_validation() {
    let target = Target::start().await;
    let query = format!("query($x:[ID]={}1{}){{__typename}}", "[".repeat(40), "]".repeat(40));
    let body = target.gql(None, &query, json!({})).await;
    assert_ne!(code(&body), Some("QUERY_TOO_COMPLEX"), "40 levels are allowed: {body}");
    assert_ne!(code(&body), Some("INTERNAL_SERVER_ERROR"), "{body}");
}

#[tokio::test]
async fn deep_variables_are_refused_whether_or_not_json_decoding_notices() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let query = "query($x: JSON) { __typename }";
    // Within serde_json's own recursion limit (128): the guard's limit applies.
    let nested = (0..100).fold(json!(1), |inner, _| json!([inner]));
    let body = target.gql(None, query, json!({ "x": nested })).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    // Far deeper: the body is not a request the server can read.
    let raw = format!(r#"{{"query":"{query}","variables":{{"x":{}1{}}}}}"#, "[".repeat(DEEP), "]".repeat(DEEP));
    let (status, body) = target.post_raw(None, raw).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), Some("BAD_REQUEST"), "{body}");
    target.assert_serves().await;
    assert_eq!(target.ledger().await, before);
}

#[tokio::test]
async fn deep_documents_are_refused_over_both_websocket_protocols() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let addr = target.server.addr.parse().unwrap();
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let mut ws = WsClient::connect(&addr, protocol, None).await;
        ws.init(json!({ "authToken": target.alice.token })).await;
        for (n, (what, query)) in deep_documents().into_iter().enumerate() {
            let id = format!("deep{n}");
            ws.subscribe(protocol, &id, &query, json!({})).await;
            let Received::Message(message) = ws.recv().await else { panic!("{protocol} {what}: closed") };
            assert_eq!(message["type"], "error", "{protocol} {what}: {message}");
            assert_eq!(message["id"], id.as_str());
            assert_eq!(
                message["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
                "{protocol} {what}: {message}"
            );
        }
        // The connection itself still works.
        ws.subscribe(protocol, "ok", "subscription { events(after: \"0\") { position } }", json!({})).await;
        let data = ws.next_data("ok").await;
        assert!(data["events"]["position"].is_string(), "{data}");
        ws.close().await;
        target.assert_alive();
    }
    target.assert_serves().await;
    assert_eq!(target.ledger().await, before, "nothing was written");
}
