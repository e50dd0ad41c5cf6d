//! The real binary: subcommands, configuration, serving and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_minibank");

fn minibank(database_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command.env("DATABASE_URL", database_url).env("RUST_LOG", "info").env_remove("JWT_SECRET");
    command
}

/// Starts `minibank` on a random port and returns it with its address, read from its log.
fn serve(database_url: &str, extra_env: &[(&str, &str)]) -> (Child, String, Vec<String>) {
    let mut command = minibank(database_url);
    command.args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::inherit());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        seen.push(line.clone());
        if let Some(rest) = line.split("GraphiQL at http://").nth(1) {
            let addr = rest.split('/').next().unwrap().to_string();
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return (child, addr, seen);
        }
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the server did not say where it listens: {seen:?}");
}

fn wait_for_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the server did not stop within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

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

    let (mut child, addr, log) = serve(&database_url, &[("CORS_ORIGINS", "https://app.example")]);
    assert!(log.iter().any(|l| l.contains("JWT_SECRET is not set")), "warns about the random secret: {log:?}");
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/graphql");
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

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = wait_for_exit(&mut child, Duration::from_secs(20));
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
