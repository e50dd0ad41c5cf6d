//! The real binary: subcommands, configuration, serving and graceful shutdown.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

#[path = "../common/server_process.rs"]
mod server_process;

use server_process::{BIN, ServerProcess, minibank};

#[test]
fn export_schema_prints_the_committed_schema() {
    let output = Command::new(BIN).arg("export-schema").output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), committed);
}

#[tokio::test]
async fn create_admin_then_serve_then_shut_down_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());

    let migrated = minibank(&database_url).arg("migrate").output().unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    let created = minibank(&database_url)
        .args(["create-admin", "--username", "Root", "--email", "root@example.com", "--password", "admin password"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    assert!(String::from_utf8_lossy(&created.stdout).contains("admin root registered"));
    let again = minibank(&database_url)
        .args(["create-admin", "--username", "root", "--email", "other@example.com", "--password", "admin password"])
        .output()
        .unwrap();
    assert!(!again.status.success(), "a taken username is refused");
    let weak = minibank(&database_url)
        .args(["create-admin", "--username", "root2", "--email", "r2@example.com", "--password", "short"])
        .output()
        .unwrap();
    assert!(!weak.status.success(), "the password rules apply");

    let mut server = ServerProcess::start(&database_url, &[("CORS_ORIGINS", "https://app.example")]);
    let log = &server.log;
    assert!(log.iter().any(|l| l.contains("JWT_SECRET is not set")), "warns about the random secret: {log:?}");
    let http = reqwest::Client::new();
    let url = server.url();
    let login: Value = http
        .post(&url)
        .json(&json!({
            "query": "mutation($input: LoginInput!) { login(input: $input) { token client { role username } } }",
            "variables": { "input": { "login": "root", "password": "admin password" } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["data"]["login"]["client"]["role"], "ADMIN", "{login}");
    assert_eq!(login["data"]["login"]["client"]["username"], "root");

    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://app.example");
    let foreign = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(foreign.headers().get("access-control-allow-origin").is_none());

    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.wait_for_exit(Duration::from_secs(20));
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

/// POSTs one operation to a running server; the answer's `data`, which must have no errors.
async fn gql(http: &reqwest::Client, url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = http.post(url).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"].clone()
}

const DEPOSIT: &str =
    r#"mutation($id: ID!) { deposit(input: { accountId: $id, amount: "1.00" }) { account { balance } } }"#;
const ACCOUNT: &str =
    "query($id: ID!) { account(id: $id) { balance transactions(first: 5) { totalCount nodes { balanceAfter } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_projections_runs_beside_a_serving_server_which_keeps_answering_right() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
    let server = ServerProcess::start(&database_url, &[]);
    let (http, url) = (reqwest::Client::new(), server.url());
    let registered = gql(
        &http,
        &url,
        None,
        "mutation { registerClient(input: { username: \"alice\", email: \"alice@example.com\", password: \"correct horse battery\", firstName: \"Alice\", lastName: \"L\" }) { token } }",
        json!({}),
    )
    .await;
    let token = registered["registerClient"]["token"].as_str().unwrap().to_owned();
    let opened =
        gql(&http, &url, Some(&token), "mutation { openAccount(input: {}) { account { id } } }", json!({})).await;
    let account = opened["openAccount"]["account"]["id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        gql(&http, &url, Some(&token), DEPOSIT, json!({ "id": account })).await;
    }

    // A client keeps depositing and reading back while the rebuild runs.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let (http, url, token, account, done) =
            (http.clone(), url.clone(), token.clone(), account.clone(), done.clone());
        tokio::spawn(async move {
            let mut deposits = 200;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                gql(&http, &url, Some(&token), DEPOSIT, json!({ "id": account })).await;
                deposits += 1;
                let seen = gql(&http, &url, Some(&token), ACCOUNT, json!({ "id": account })).await;
                assert_eq!(seen["account"]["balance"], format!("{deposits}.00"), "{seen}");
                assert_eq!(seen["account"]["transactions"]["totalCount"], deposits, "{seen}");
                assert_eq!(seen["account"]["transactions"]["nodes"][0]["balanceAfter"], format!("{deposits}.00"));
            }
            deposits
        })
    };
    let rebuild = {
        let database_url = database_url.clone();
        tokio::task::spawn_blocking(move || {
            minibank(&database_url).args(["rebuild-projections", "--batch-size", "5"]).output().unwrap()
        })
    };
    let output = rebuild.await.unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let deposits = client.await.unwrap();

    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(deposits > 210, "the server kept taking deposits during the rebuild: {deposits}");
    for name in ["clients", "accounts", "transfers"] {
        let progress = format!("{name}: 0/");
        assert!(
            stderr.lines().any(|l| l.starts_with(&progress) && l.contains(" events, ") && l.contains(" ev/s, ETA ")),
            "{stderr}"
        );
        let summary = format!("{name}: rebuilt from ");
        assert!(stdout.lines().any(|l| l.starts_with(&summary) && l.contains("switched over at position")), "{stdout}");
    }
    assert!(!stderr.contains('\u{1b}'), "no terminal control codes when stderr is not a terminal: {stderr}");
    let seen = gql(&http, &url, Some(&token), ACCOUNT, json!({ "id": account })).await;
    assert_eq!(seen["account"]["balance"], format!("{deposits}.00"));

    let one = minibank(&database_url).args(["rebuild-projections", "--projection", "accounts"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&one.stdout);
    assert!(one.status.success() && stdout.contains("accounts: rebuilt from "), "{one:?}");
    assert!(!stdout.contains("clients:") && !stdout.contains("transfers:"), "{stdout}");
}

#[test]
fn rebuild_projections_refuses_an_unknown_projection_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
    let output = minibank(&database_url).args(["rebuild-projections", "--projection", "acounts"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value 'acounts' for '--projection <NAME>'"), "{stderr}");
    assert!(stderr.contains("[possible values: clients, accounts, transfers]"), "{stderr}");
    assert!(!dir.path().join("bank.db").exists(), "nothing was touched");
}

#[test]
fn a_token_lifetime_out_of_range_is_refused_clearly_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
    for ttl in ["9223372036854775807", "59", "0", "-1", "2592001", "an hour"] {
        let output = minibank(&database_url)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("JWT_TTL_SECONDS", ttl)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "JWT_TTL_SECONDS={ttl}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("invalid value '{ttl}' for '--jwt-ttl-seconds")), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let stderr = String::from_utf8_lossy(
        &minibank(&database_url).args(["serve"]).env("JWT_TTL_SECONDS", "59").output().unwrap().stderr,
    )
    .into_owned();
    assert!(stderr.contains("60..=2592000"), "the message names the range: {stderr}");
    assert!(!dir.path().join("bank.db").exists(), "nothing was touched");
}
