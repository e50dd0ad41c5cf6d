//! libFuzzer target for the request path: each input goes through the real
//! router (CSRF check, body limit, batch parsing, the guard, the schema and
//! the resolvers on a SQLite database) twice: as the raw body of
//! POST /graphql, anonymously, and, lossily decoded, as the `query` of a JSON
//! request signed in as a customer with an account. A 5xx answer, a body that
//! is not JSON, an INTERNAL_SERVER_ERROR code or a crash (a stack overflow
//! aborts the process) is a finding.

#![no_main]

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use minibank::bootstrap::{Settings, build_context};
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    runtime: tokio::runtime::Runtime,
    router: Router,
    /// A customer's bearer token.
    token: String,
    _database: tempfile::TempDir,
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let database = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", database.path().join("fuzz.db").display());
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
        let (router, token) = runtime.block_on(async {
            let mut settings = Settings::for_database(url);
            settings.jwt_secret = Some("fuzz-secret-that-is-at-least-32-bytes-long".into());
            let ctx = build_context(&settings).await.expect("the application starts");
            let router = minibank::http::router(ctx, &settings.http);
            let token = customer(&router).await;
            (router, token)
        });
        App { runtime, router, token, _database: database }
    })
}

/// Registers a customer with an account holding 100.00; their token.
async fn customer(router: &Router) -> String {
    let register = json!({
        "query": "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token } }",
        "variables": { "input": {
            "username": "fuzz", "email": "fuzz@example.com", "password": "fuzzing password",
            "firstName": "Fuzz", "lastName": "Target"
        }}
    });
    let (_, body) = post(router, None, register.to_string().into_bytes()).await;
    let token = body["data"]["registerClient"]["token"].as_str().expect("registered").to_string();
    let open = json!({ "query": "mutation { openAccount(input: {}) { account { id } } }" });
    let (_, body) = post(router, Some(&token), open.to_string().into_bytes()).await;
    let account = body["data"]["openAccount"]["account"]["id"].as_str().expect("an account").to_string();
    let deposit = json!({
        "query": "mutation($id: ID!) { deposit(input: {accountId: $id, amount: \"100.00\"}) { position } }",
        "variables": { "id": account }
    });
    post(router, Some(&token), deposit.to_string().into_bytes()).await;
    token
}

/// POSTs `body` to /graphql; the status and the body, checked.
async fn post(router: &Router, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request.body(Body::from(body)).expect("a request");
    let response = router.clone().oneshot(request).await.expect("the router is infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("the body is read").to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!status.is_server_error(), "status {status}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    assert!(!internal(&body), "an internal error: {text}");
    (status, body)
}

/// An error coded INTERNAL_SERVER_ERROR anywhere in the answer (a batch
/// holds several); messages may quote the input, codes never do.
fn internal(value: &Value) -> bool {
    match value {
        Value::Object(fields) => {
            fields.get("extensions").is_some_and(|e| e["code"] == "INTERNAL_SERVER_ERROR")
                || fields.values().any(internal)
        }
        Value::Array(items) => items.iter().any(internal),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let app = app();
    app.runtime.block_on(async {
        post(&app.router, None, data.to_vec()).await;
        let query = json!({ "query": String::from_utf8_lossy(data) });
        post(&app.router, Some(&app.token), query.to_string().into_bytes()).await;
    });
});
