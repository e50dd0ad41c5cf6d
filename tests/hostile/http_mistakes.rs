//! Items 9 and 11: mistakes in the HTTP request itself get 400 BAD_REQUEST
//! with a message a person can act on, never INTERNAL_SERVER_ERROR or a Rust
//! type name; subscriptions need a websocket and select one root field.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Target, code};
use crate::ws_client::{LEGACY_WS, Received, TRANSPORT_WS, WsClient};

const RUST_WORDS: [&str; 6] = ["untagged", "BatchRequest", "serde", "enum", "struct", "at line"];

fn assert_plain_bad_request(what: &str, status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(code(body), Some("BAD_REQUEST"), "{what}: {body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!RUST_WORDS.iter().any(|w| message.contains(w)), "{what}: {message}");
}

#[tokio::test]
async fn bodies_that_are_not_requests_are_bad_requests() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    for body in
        ["[]", "{}", r#"{"query": ""}"#, r#"{"query": 1}"#, r#"{"variables": {}}"#, "null", "\"x\"", "not json", "[1]"]
    {
        let (status, answer) = target.post_raw(None, body).await;
        assert_plain_bad_request(body, status, &answer);
    }
    target.assert_serves().await;
    assert_eq!(target.ledger().await, before);
}

#[tokio::test]
async fn subscriptions_over_http_are_bad_requests() {
    let mut target = Target::start().await;
    let subscription = "subscription { events { position } }";
    let token = target.alice.token.clone();
    for auth in [None, Some(token.as_str())] {
        let (status, body) = target.post(auth, subscription, json!({})).await;
        assert_plain_bad_request("POST", status, &body);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("websocket"), "{body}");
        let url = format!("{}?query={}", target.url(), "subscription%20%7B%20events%20%7B%20position%20%7D%20%7D");
        let mut request = target.http.get(url).header("apollo-require-preflight", "true");
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_plain_bad_request("GET", status, &body);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("websocket"), "{body}");
    }
    // Chosen by name among other operations, too.
    let document = "query Q { __typename } subscription S { events { position } }";
    let body = json!({ "query": document, "operationName": "S" }).to_string();
    let (status, answer) = target.post_raw(None, body).await;
    assert_plain_bad_request("named", status, &answer);
    let body = json!({ "query": document, "operationName": "Q" }).to_string();
    let (status, answer) = target.post_raw(None, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["data"]["__typename"], "Query");
    target.assert_serves().await;
}

#[tokio::test]
async fn a_subscription_with_two_root_fields_is_refused_on_both_protocols() {
    let mut target = Target::start().await;
    let addr = target.server.addr.parse().unwrap();
    let two =
        format!("subscription {{ events {{ position }} accountUpdated(id: \"{}\") {{ balance }} }}", target.account);
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let mut ws = WsClient::connect(&addr, protocol, None).await;
        ws.init(json!({ "authToken": target.alice.token })).await;
        ws.subscribe(protocol, "two", &two, json!({})).await;
        let Received::Message(message) = ws.recv().await else { panic!("{protocol}: closed") };
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(message["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{message}");
        ws.close().await;
    }
    target.assert_serves().await;
}

#[tokio::test]
async fn nul_in_any_string_is_bad_user_input_even_anonymously() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let login = "mutation($input: LoginInput!) { login(input: $input) { token } }";
    let body = target.gql(None, login, json!({ "input": { "login": "ali\u{0}ce", "password": "x" } })).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    let literal = r#"mutation { login(input: { login: "ali\u0000ce", password: "x" }) { token } }"#;
    let body = target.gql(None, literal, json!({})).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    let search = r#"{ clients(search: "a\u0000") { totalCount } }"#;
    let body = target.gql(Some(&target.admin.token), search, json!({})).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    target.assert_serves().await;
    assert_eq!(target.ledger().await, before);
}

/// The database away: /readyz says so within about a second rather than
/// after the pool's acquire timeout (3 s by default).
#[tokio::test]
#[ignore = "needs PostgreSQL: TEST_DATABASE_URL=... cargo test --test hostile -- --ignored"]
async fn readyz_answers_quickly_while_the_database_is_away() {
    use sea_orm::{ConnectionTrait, Database};
    let mut target = Target::start().await;
    assert!(target.is_postgres(), "run with TEST_DATABASE_URL");
    let name = target.database_url().rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false")).await.unwrap();
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    admin.execute_unprepared(&terminate).await.unwrap();
    let readyz = format!("http://{}/readyz", target.server.addr);
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let status = target.http.get(&readyz).send().await.unwrap().status();
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true")).await.unwrap();
    assert!(slowest < std::time::Duration::from_millis(2_500), "/readyz took {slowest:?} (answers within ~1 s)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while target.http.get(&readyz).send().await.unwrap().status() != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "ready again");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    target.assert_serves().await;
}
