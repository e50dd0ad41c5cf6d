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
