//! GET /metrics: the Prometheus text after a real workload, who may read it,
//! and its own address. The workload runs against the real binary in a
//! process of its own, so the counts are exactly this test's (servers in
//! this process share one recorder).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app};
use crate::server_process::ServerProcess;
use crate::test_database::TestDatabase;
use crate::ws_client::{TRANSPORT_WS, WsClient};

const JWT_SECRET: &str = "metrics-test-secret-that-is-32-bytes-or-more";

/// One sample of the text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap();
                    (key.to_string(), value.trim_matches('"').to_string())
                })
                .collect();
            Sample { name: name.to_string(), labels, value: value.parse().unwrap() }
        })
        .collect()
}

/// The value of the one series named `name` with (at least) `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<_> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    assert!(matching.len() <= 1, "{name} {labels:?} matches several series: {matching:?}");
    matching.first().map(|s| s.value)
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }
}

async fn scrape(http: &reqwest::Client, url: &str) -> Vec<Sample> {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    parse(&response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_after_a_workload_counts_it() {
    let database = TestDatabase::create().await;
    let url = database.url().to_string();
    let server =
        tokio::task::spawn_blocking(move || ServerProcess::start(&url, &[("JWT_SECRET", JWT_SECRET)])).await.unwrap();
    let client = Client { http: reqwest::Client::new(), url: server.url() };
    let metrics_url = format!("http://{}/metrics", server.addr);

    let registered = client
        .post(
            None,
            "mutation Register($input: RegisterClientInput!) { registerClient(input: $input) { token } }",
            json!({ "input": { "username": "meter", "email": "meter@example.com", "password": PASSWORD,
                               "firstName": "Me", "lastName": "Ter" } }),
        )
        .await;
    let token = registered["data"]["registerClient"]["token"].as_str().unwrap().to_string();
    let opened =
        client.post(Some(&token), "mutation Open { openAccount(input: {}) { account { id } } }", json!({})).await;
    let account = opened["data"]["openAccount"]["account"]["id"].as_str().unwrap().to_string();

    let addr: SocketAddr = server.addr.parse().unwrap();
    let mut ws = WsClient::connect(&addr, TRANSPORT_WS, None).await;
    ws.init(json!({ "Authorization": format!("Bearer {token}") })).await;
    // From position 0: the subscription gets the deposits below however late
    // it starts (a live-only one may start after them and wait forever).
    ws.subscribe(TRANSPORT_WS, "live", "subscription Watch { events(after: \"0\") { position type } }", json!({}))
        .await;

    let deposit = "mutation Deposit($input: MoneyInput!) { deposit(input: $input) { account { balance } } }";
    for _ in 0..3 {
        let answer =
            client.post(Some(&token), deposit, json!({ "input": { "accountId": account, "amount": "10.00" } })).await;
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    let refused =
        client.post(Some(&token), deposit, json!({ "input": { "accountId": account, "amount": "-1" } })).await;
    let refused_code = refused["errors"][0]["extensions"]["code"].as_str().unwrap().to_string();
    // The subscription runs: it has seen the log.
    assert!(ws.next_data("live").await["events"]["position"].is_string());

    let failed = client
        .post(
            None,
            "mutation Login($input: LoginInput!) { login(input: $input) { token } }",
            json!({ "input": { "login": "meter", "password": "not the password" } }),
        )
        .await;
    assert_eq!(failed["errors"][0]["extensions"]["code"], "INVALID_CREDENTIALS", "{failed}");
    let unparsable = client.post(None, "query Broken {", json!({})).await;
    assert_eq!(unparsable["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED");

    let samples = scrape(&client.http, &metrics_url).await;
    let operations = "minibank_graphql_operations_total";
    let count = |name: &str, labels: &[(&str, &str)]| value(&samples, name, labels);
    assert_eq!(count(operations, &[("operation", "Deposit"), ("type", "mutation"), ("code", "OK")]), Some(3.0));
    assert_eq!(
        count(operations, &[("operation", "Deposit"), ("type", "mutation"), ("code", &refused_code)]),
        Some(1.0)
    );
    assert_eq!(count(operations, &[("operation", "Register"), ("type", "mutation"), ("code", "OK")]), Some(1.0));
    assert_eq!(
        count(operations, &[("operation", "Login"), ("type", "mutation"), ("code", "INVALID_CREDENTIALS")]),
        Some(1.0)
    );
    assert_eq!(
        count(operations, &[("operation", "-"), ("type", "unknown"), ("code", "GRAPHQL_PARSE_FAILED")]),
        Some(1.0)
    );
    let deposits = [("operation", "Deposit"), ("type", "mutation")];
    assert_eq!(count("minibank_graphql_operation_duration_seconds_count", &deposits), Some(4.0));
    assert!(count("minibank_graphql_operation_duration_seconds_sum", &deposits).unwrap() > 0.0);
    assert_eq!(
        count("minibank_graphql_operation_duration_seconds_bucket", &[("operation", "Deposit"), ("le", "+Inf")]),
        Some(4.0)
    );
    let posts = [("method", "POST"), ("route", "/graphql"), ("status", "200")];
    assert_eq!(count("minibank_http_requests_total", &posts), Some(8.0));
    assert_eq!(count("minibank_http_requests_total", &[("route", "/graphql"), ("status", "101")]), Some(1.0));
    assert_eq!(count("minibank_login_failures_total", &[("reason", "invalid_credentials")]), Some(1.0));
    assert_eq!(count("minibank_websocket_connections", &[]), Some(1.0));
    assert_eq!(count("minibank_live_subscriptions", &[]), Some(1.0));
    // The customer's subscription follows their client and their account.
    assert_eq!(count("minibank_live_followed_streams", &[]), Some(2.0));
    // Register, open and three deposits: five commands' events, at least.
    assert!(count("minibank_event_log_head_position", &[]).unwrap() >= 5.0);
    assert!(count("minibank_live_feed_lag_events", &[]).is_some());
    // The write path: every event of this fresh log was appended by this
    // process, in batches of the commands committed.
    let committed = count("minibank_commands_committed_total", &[]).unwrap();
    let batches = count("minibank_commit_batches_total", &[]).unwrap();
    assert!(committed >= 5.0, "register, open and three deposits: {committed}");
    assert!(batches >= 1.0 && batches <= committed, "{batches} batches of {committed} commands");
    assert_eq!(count("minibank_commit_batch_size_count", &[]), Some(batches));
    assert_eq!(count("minibank_commit_batch_size_sum", &[]), Some(committed));
    assert_eq!(count("minibank_events_appended_total", &[]), count("minibank_event_log_head_position", &[]));
    assert!(count("minibank_follower_lag_events", &[("follower", "transfer_process")]).is_some());
    let pools: Vec<_> = samples.iter().filter(|s| s.name == "minibank_db_pool_max_connections").collect();
    assert!(!pools.is_empty() && pools.iter().all(|s| s.value >= 1.0), "{pools:?}");
    assert!(samples.iter().any(|s| s.name == "minibank_db_pool_connections" && s.labels["state"] == "in_use"));

    // Closing the socket ends its subscription: the gauges fall back.
    ws.close().await;
    let mut gauges = (None, None, None);
    for _ in 0..100 {
        let samples = scrape(&client.http, &metrics_url).await;
        gauges = (
            value(&samples, "minibank_websocket_connections", &[]),
            value(&samples, "minibank_live_subscriptions", &[]),
            value(&samples, "minibank_live_followed_streams", &[]),
        );
        if gauges == (Some(0.0), Some(0.0), Some(0.0)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gauges, (Some(0.0), Some(0.0), Some(0.0)));
    let help = client.http.get(&metrics_url).send().await.unwrap().text().await.unwrap();
    assert!(help.contains("# HELP minibank_graphql_operations_total GraphQL operations"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_loopback_callers_that_no_proxy_speaks_for_and_admins_may_scrape() {
    let app = spawn_app().await;
    let url = format!("http://{}/metrics", app.server.addr);
    let admin = app.admin().await;
    let customer = app.register("nosy").await;

    let status = |forwarded: bool, token: Option<String>| {
        let mut request = app.http.get(&url);
        if forwarded {
            request = request.header("x-forwarded-for", "203.0.113.9");
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap() }
    };
    assert_eq!(status(false, None).await.status(), 200, "a loopback caller");
    let refused = status(true, None).await;
    assert_eq!(refused.status(), 403, "a caller a local proxy forwards");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(status(true, Some(customer.token)).await.status(), 403, "a customer");
    assert_eq!(status(true, Some(admin.token.clone())).await.status(), 200, "an admin");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_from_another_address_needs_an_admin_token() {
    use tower::ServiceExt;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let router = minibank::http::router(app.server.ctx.clone(), &minibank::http::HttpSettings::default());
    let from_afar = |token: Option<&str>| {
        let mut request = axum::http::Request::get("/metrics");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut request = request.body(axum::body::Body::empty()).unwrap();
        let peer: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        router.clone().oneshot(request)
    };
    assert_eq!(from_afar(None).await.unwrap().status(), 403);
    assert_eq!(from_afar(Some(&admin.token)).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_listen_serves_anyone_on_its_own_address() {
    let database = TestDatabase::create().await;
    let url = database.url().to_string();
    let server = tokio::task::spawn_blocking(move || {
        ServerProcess::start(&url, &[("METRICS_LISTEN", "127.0.0.1:0"), ("JWT_SECRET", JWT_SECRET)])
    })
    .await
    .unwrap();
    let announced = server.log.iter().find_map(|line| line.split("metrics at http://").nth(1).map(String::from));
    let metrics_addr = announced.expect("the metrics address is logged").split('/').next().unwrap().to_string();
    assert_ne!(metrics_addr, server.addr);
    let http = reqwest::Client::new();
    let own = http
        .get(format!("http://{metrics_addr}/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("minibank_event_log_head_position"));
    let other = http.get(format!("http://{metrics_addr}/graphql")).send().await.unwrap();
    assert_eq!(other.status(), 404, "the metrics address serves nothing else");
}
