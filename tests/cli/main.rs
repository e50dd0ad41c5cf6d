//! The real binary: subcommands, configuration, serving and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use test_support::graphql;
use test_support::server_process::{self, ServerProcess, minibank};
use test_support::ws_client::{LEGACY_WS, Received, TRANSPORT_WS, WsClient};

#[test]
fn export_schema_prints_the_committed_schema() {
    let output = Command::new(server_process::binary()).arg("export-schema").output().unwrap();
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
    for (subcommand, output) in [("migrate", &migrated), ("create-admin", &created)] {
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(!said.contains("JWT_SECRET"), "{subcommand} issues no token, so says nothing of JWT_SECRET: {said}");
    }
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

    let mut server = ServerProcess::start(
        &database_url,
        &[("CORS_ORIGINS", "https://app.example"), ("SHUTDOWN_GRACE_SECONDS", &GRACE.as_secs().to_string())],
    );
    let log = &server.log;
    assert!(log.iter().any(|l| l.contains("JWT_SECRET is not set")), "warns about the random secret: {log:?}");
    let http = reqwest::Client::new();
    let url = server.url();
    let login: Value = http
        .post(&url)
        .json(&json!({
            "query": "mutation($input: LoginInput!) { login(input: $input) { token client { id role username } } }",
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

    // Live when SIGTERM comes: a subscription in each websocket protocol,
    // each seen running, and a request whose body is half sent.
    let token = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let mut modern = WsClient::connect(&addr, TRANSPORT_WS, None).await;
    modern.init(json!({ "authToken": token })).await;
    modern.subscribe(TRANSPORT_WS, "live", ALL_EVENTS, json!({})).await;
    modern.next_data("live").await;
    let mut legacy = WsClient::connect(&addr, LEGACY_WS, None).await;
    legacy.init(json!({ "authToken": token })).await;
    legacy.subscribe(LEGACY_WS, "old", ALL_EVENTS, json!({})).await;
    legacy.next_data("old").await;
    let mut in_flight = half_sent_request(&addr, &token, "query InFlight { me { username } }", "InFlight").await;

    let terminated = Instant::now();
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    wait_for_line(&server, |l| l.contains("shutting down")).await;
    // The server waits for the rest of the request and answers it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = in_flight.finish().await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"data":{"me":{"username":"root"}}}"#), "{answer}");

    for (client, id) in [(&mut modern, "live"), (&mut legacy, "old")] {
        let (completed, close) = until_closed(client, id).await;
        assert!(completed, "`complete` for {id} before the close frame");
        assert_eq!(close, (1001, "Server shutting down".to_string()), "{id}");
    }
    modern.close().await;
    legacy.close().await;

    let status = server.wait_for_exit(GRACE + Duration::from_secs(1));
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    assert!(terminated.elapsed() < GRACE, "within the grace period: {:?}", terminated.elapsed());
    let last = wait_for_line(&server, |l| l.contains(" shut down")).await;
    assert!(last.contains("INFO"), "{last}");
    let log = server.later_log();
    assert!(log.last().is_some_and(|l| l == &last), "the last line says it shut down: {log:#?}");
    let closed: Vec<_> = log.iter().filter(|l| l.contains("websocket closed")).collect();
    assert_eq!(closed.len(), 2, "{log:#?}");
    assert!(closed.iter().all(|l| l.contains("close_code=1001") && l.contains("request_id=")), "{closed:#?}");
    assert!(log.iter().any(|l| l.contains("InFlight") && l.contains("status=200")), "{log:#?}");
}

#[tokio::test]
async fn shutdown_cuts_what_is_still_open_when_the_grace_period_ends_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
    let mut server = ServerProcess::start(&database_url, &[("SHUTDOWN_GRACE_SECONDS", "2")]);
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    // Its body never comes.
    let _stuck = half_sent_request(&addr, "no token", "query Stuck { __typename }", "Stuck").await;
    let terminated = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap().success());
    let status = server.wait_for_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    let took = terminated.elapsed();
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(4), "{took:?}");
    wait_for_line(&server, |l| l.contains("grace period ran out")).await;
    wait_for_line(&server, |l| l.contains(" shut down")).await;
}

#[tokio::test]
async fn each_request_is_logged_at_info_with_its_operation_status_request_id_and_caller() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
    let server = ServerProcess::start(&database_url, &[("CORS_ORIGINS", "https://app.example")]);
    let (http, url) = (reqwest::Client::new(), server.url());
    let registered = graphql::ok(
        &http,
        &url,
        None,
        "mutation { registerClient(input: { username: \"alice\", email: \"alice@example.com\", password: \"correct horse battery\", firstName: \"Alice\", lastName: \"L\" }) { token client { id } } }",
        json!({}),
    )
    .await;
    let token = registered["registerClient"]["token"].as_str().unwrap();
    let client_id = registered["registerClient"]["client"]["id"].as_str().unwrap();

    let response = http
        .post(&url)
        .bearer_auth(token)
        .header("origin", "https://app.example")
        .json(&json!({ "query": "query Me { me { username } }", "operationName": "Me" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.split(',').any(|h| h.trim().eq_ignore_ascii_case("x-request-id")), "{exposed}");
    let line = wait_for_line(&server, |l| l.contains(&request_id) && l.contains(" request ")).await;
    for part in [
        " INFO ",
        "method=POST",
        "path=/graphql",
        "operation=\"Me\"",
        "status=200",
        "duration_ms=",
        &format!("request_id={request_id}"),
        &format!("client_id={client_id}"),
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }

    // A GET names its operation in the query string; Apollo's header names
    // it for the rest; an anonymous caller has no client id.
    let get = http
        .get(format!("{url}?query=query%20Ping%7B__typename%7D&operationName=Ping"))
        .header("apollo-require-preflight", "true")
        .send()
        .await
        .unwrap();
    let get_id = get.headers()["x-request-id"].to_str().unwrap().to_owned();
    let line = wait_for_line(&server, |l| l.contains(&get_id) && l.contains(" request ")).await;
    assert!(
        line.contains("method=GET") && line.contains("operation=\"Ping\"") && line.contains("status=200"),
        "{line}"
    );
    assert!(!line.contains("client_id"), "{line}");
    let refused = http
        .post(&url)
        .header("x-apollo-operation-name", "Broken")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    let refused_id = refused.headers()["x-request-id"].to_str().unwrap().to_owned();
    let line = wait_for_line(&server, |l| l.contains(&refused_id) && l.contains(" request ")).await;
    assert!(line.contains("operation=\"Broken\"") && line.contains("status=400"), "{line}");

    let log = server.later_log();
    assert!(log.iter().all(|l| !l.contains('\u{1b}')), "no colours when stdout is not a terminal: {log:#?}");
}

const GRACE: Duration = Duration::from_secs(5);
const ALL_EVENTS: &str = r#"subscription { events(after: "0") { position type } }"#;

/// Waits (up to 10 s) for a line logged after startup that satisfies `wanted`.
async fn wait_for_line(server: &ServerProcess, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(line) = server.later_log().into_iter().find(|l| wanted(l)) {
            return line;
        }
        assert!(Instant::now() < deadline, "no such line in {:#?}", server.later_log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A POST whose headers and first half of the body are sent, returned once
/// the server has started reading the body (its `100 Continue`, so the
/// request is in flight before the caller goes on); `finish` sends the rest
/// and reads the answer.
struct HalfSent {
    socket: tokio::net::TcpStream,
    rest: String,
}

async fn half_sent_request(addr: &std::net::SocketAddr, token: &str, query: &str, operation: &str) -> HalfSent {
    let body = json!({ "query": query, "operationName": operation }).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         authorization: Bearer {token}\r\nexpect: 100-continue\r\ncontent-length: {}\r\n\r\n{first}",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut seen = vec![0; interim.len()];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_exact(&mut seen)).await;
    read.expect("100 Continue within 10 s").unwrap();
    assert_eq!(String::from_utf8_lossy(&seen), String::from_utf8_lossy(interim));
    HalfSent { socket, rest: rest.to_string() }
}

impl HalfSent {
    async fn finish(&mut self) -> String {
        self.socket.write_all(self.rest.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), self.socket.read_to_end(&mut answer)).await;
        read.expect("the answer within 10 s, then the connection closes").unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// Reads up to the close frame: whether `complete` came for `id`, and the close.
async fn until_closed(client: &mut WsClient, id: &str) -> (bool, (u16, String)) {
    let mut completed = false;
    loop {
        match client.recv().await {
            Received::Message(message) if message["type"] == "complete" && message["id"] == id => completed = true,
            Received::Message(message) => {
                assert!(matches!(message["type"].as_str(), Some("next" | "data")), "{message}");
                assert!(!completed, "nothing after `complete`: {message}");
            }
            Received::Closed(code, reason) => return (completed, (code, reason)),
        }
    }
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
    let registered = graphql::ok(
        &http,
        &url,
        None,
        "mutation { registerClient(input: { username: \"alice\", email: \"alice@example.com\", password: \"correct horse battery\", firstName: \"Alice\", lastName: \"L\" }) { token } }",
        json!({}),
    )
    .await;
    let token = registered["registerClient"]["token"].as_str().unwrap().to_owned();
    let opened =
        graphql::ok(&http, &url, Some(&token), "mutation { openAccount(input: {}) { account { id } } }", json!({}))
            .await;
    let account = opened["openAccount"]["account"]["id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        graphql::ok(&http, &url, Some(&token), DEPOSIT, json!({ "id": account })).await;
    }

    // A client keeps depositing and reading back while the rebuild runs.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let (http, url, token, account, done) =
            (http.clone(), url.clone(), token.clone(), account.clone(), done.clone());
        tokio::spawn(async move {
            let mut deposits = 200;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                graphql::ok(&http, &url, Some(&token), DEPOSIT, json!({ "id": account })).await;
                deposits += 1;
                let seen = graphql::ok(&http, &url, Some(&token), ACCOUNT, json!({ "id": account })).await;
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
    let seen = graphql::ok(&http, &url, Some(&token), ACCOUNT, json!({ "id": account })).await;
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

#[test]
fn a_user_error_is_said_in_words_without_a_backtrace_even_with_rust_backtrace_set() {
    let output = std::process::Command::new(server_process::binary())
        .args(["create-admin", "--username", "x", "--email", "root@example.com"])
        .env("ADMIN_PASSWORD", "a long password")
        .env("RUST_BACKTRACE", "1")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Error: ") && stderr.contains("username"), "{stderr}");
    assert!(!stderr.contains("backtrace") && !stderr.contains("Backtrace"), "{stderr}");
}

#[test]
fn create_admin_help_explains_each_flag() {
    let output =
        std::process::Command::new(server_process::binary()).args(["create-admin", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for (flag, words) in [
        ("--username", "3 to 32"),
        ("--email", "e-mail"),
        ("--password", "ADMIN_PASSWORD"),
        ("--first-name", "profile"),
        ("--last-name", "profile"),
    ] {
        let line = help.lines().skip_while(|l| !l.trim_start().starts_with(flag)).take(3).collect::<String>();
        assert!(line.contains(words), "{flag}: {help}");
    }
}

/// `minibank <args> --help`, which must succeed.
fn help(args: &[&str]) -> String {
    let output = Command::new(server_process::binary()).args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The long flags a help text lists, each with its description (the rest of
/// its line and the more indented lines under it).
fn described_flags(help: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = help.lines().collect();
    let mut flags = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(start) = trimmed.find("--").filter(|_| trimmed.starts_with('-')) else { continue };
        let spec_end = trimmed.find("  ").unwrap_or(trimmed.len());
        let name = trimmed[start..].split([' ', ',', '=']).next().unwrap().to_string();
        let indent = line.len() - trimmed.len();
        let mut description = trimmed[spec_end..].trim().to_string();
        for next in &lines[i + 1..] {
            let next_indent = next.len() - next.trim_start().len();
            if next.trim().is_empty() || next_indent <= indent || next.trim_start().starts_with('-') {
                break;
            }
            description.push_str(next.trim());
        }
        flags.push((name, description));
    }
    flags
}

#[test]
fn each_subcommand_help_lists_only_its_own_flags_each_with_a_description() {
    let server_only =
        ["--listen", "--cors-origins", "--jwt-secret", "--ws-ping-seconds", "--feed-buffer", "--metrics-listen"];
    let database = ["--database-url", "--database-max-connections", "--sqlite-synchronous"];
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("export-schema", &["--output"], &["--database-url", "--nats-url", "--log-format"]),
        ("migrate", &["--database-url", "--nats-url", "--log-format"], &[]),
        ("create-admin", &["--username", "--email", "--password", "--database-url", "--log-format"], &["--nats-url"]),
        ("rebuild-projections", &["--projection", "--batch-size", "--database-url"], &["--nats-url"]),
        ("serve", &["--nats-url", "--shutdown-grace-seconds", "--snapshot-every", "--log-format"], &["--username"]),
    ];
    for (subcommand, has, lacks) in cases {
        let text = help(&[subcommand]);
        let flags = described_flags(&text);
        let listed: Vec<&str> = flags.iter().map(|(name, _)| name.as_str()).collect();
        let (has_server, lacks_server): (&[&str], &[&str]) =
            if subcommand == "serve" { (&server_only, &[]) } else { (&[], &server_only) };
        for flag in has.iter().chain(has_server) {
            assert!(listed.contains(flag), "{subcommand} --help lists {flag}: {text}");
        }
        for flag in lacks.iter().chain(lacks_server) {
            assert!(!listed.contains(flag) && !text.contains(flag), "{subcommand} --help leaves out {flag}: {text}");
        }
        if subcommand != "export-schema" {
            assert!(database.iter().all(|flag| listed.contains(flag)), "{subcommand}: {text}");
        }
        for (flag, description) in &flags {
            assert!(description.split_whitespace().count() >= 2, "{subcommand} {flag} has no description: {text}");
        }
    }
    // Without a subcommand, minibank serves: the top-level help says so and lists the subcommands.
    let top = help(&[]);
    assert!(top.contains("With no subcommand, minibank serves"), "{top}");
    for subcommand in ["serve", "migrate", "export-schema", "create-admin", "rebuild-projections"] {
        assert!(top.lines().any(|l| l.trim_start().starts_with(subcommand)), "{subcommand}: {top}");
    }
    assert!(!top.contains("--listen"), "{top}");
}

#[test]
fn without_a_subcommand_minibank_serves_with_flags_and_environment_as_serve_does() {
    for (args, env) in [(&["--listen", "127.0.0.1:0"][..], None), (&[][..], Some(("MINIBANK_LISTEN", "127.0.0.1:0")))] {
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
        let mut command = minibank(&database_url);
        command.args(args).stdout(Stdio::piped());
        if let Some((key, value)) = env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        // Until it says where it serves, or stops (its stdout then ends).
        let lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
        let mut seen = Vec::new();
        for line in lines {
            seen.push(line);
            if seen.last().is_some_and(|l| l.contains("GraphiQL at http://")) {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let announced = seen.last().filter(|l| l.contains("GraphiQL at http://127.0.0.1:"));
        assert!(announced.is_some_and(|l| !l.contains(":8000/")), "{args:?} {env:?}: {seen:#?}");
    }
}

#[test]
fn options_given_before_the_subcommand_are_refused_rather_than_used_for_another() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display());
    let output = Command::new(server_process::binary())
        .current_dir(dir.path())
        .args(["--database-url", &database_url, "migrate"])
        .output();
    let output = output.unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the subcommand comes first, then its options: minibank migrate [OPTIONS]"), "{stderr}");
    // A mistyped subcommand is not taken for the server's options.
    let output = Command::new(server_process::binary()).current_dir(dir.path()).arg("migrat").output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unrecognized subcommand 'migrat'") && stderr.contains("'migrate'"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no database was created or migrated");
}

/// `minibank migrate` (or `serve`) on `database_url`: its exit code and what it wrote to stderr.
fn fails_to_start(subcommand: &str, database_url: &str) -> (Option<i32>, String) {
    let output = minibank(database_url)
        .args([subcommand])
        .env("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "1")
        .env("MINIBANK_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("ERROR"), "the error is said once, on stderr, not logged too: {stdout}");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// One line: the URL, the reason, a hint; never the pool's timeout.
fn assert_said_once(stderr: &str, url: &str, reason: &str, hint: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let line = lines[0];
    assert!(line.starts_with("Error: Failed to connect to the database: "), "{line}");
    for part in [url, reason, hint] {
        assert!(line.contains(part), "{part:?} in {line}");
    }
    assert!(line.find(reason) < line.find("hint: "), "the reason, then the hint: {line}");
    assert!(!line.to_lowercase().contains("timed out"), "{line}");
    assert_eq!(line.matches(reason).count(), 1, "said once: {line}");
}

#[test]
fn a_sqlite_file_that_cannot_be_opened_is_said_once_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("missing");
    let in_missing_dir = format!("sqlite://{}?mode=rwc", missing_dir.join("bank.db").display());
    for subcommand in ["migrate", "serve"] {
        let (code, stderr) = fails_to_start(subcommand, &in_missing_dir);
        assert_eq!(code, Some(1), "{subcommand}: {stderr}");
        let reason = format!("the directory {} does not exist", missing_dir.display());
        assert_said_once(&stderr, &in_missing_dir, &reason, "hint: create it");
    }
    let file = dir.path().join("bank.db");
    let without_mode = format!("sqlite://{}", file.display());
    let (code, stderr) = fails_to_start("migrate", &without_mode);
    assert_eq!(code, Some(1), "{stderr}");
    let reason = format!("the file {} does not exist", file.display());
    let hint = format!("hint: add ?mode=rwc to the URL to create it: sqlite://{}?mode=rwc", file.display());
    assert_said_once(&stderr, &without_mode, &reason, &hint);
    assert!(!file.exists(), "nothing was created");
}

#[test]
fn postgresql_refusing_the_connection_is_said_once_with_a_hint_and_no_password() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://bank:s3cret@127.0.0.1:{port}/bank");
    let shown = format!("postgres://bank@127.0.0.1:{port}/bank");
    for subcommand in ["migrate", "serve"] {
        let (code, stderr) = fails_to_start(subcommand, &url);
        assert_eq!(code, Some(1), "{subcommand}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
        let hint = format!("hint: is PostgreSQL running and listening on 127.0.0.1:{port}?");
        assert_said_once(&stderr, &shown, "connection refused", &hint);
    }
}
