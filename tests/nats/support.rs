//! The test kit: a prefix and stream of the test's own on NATS, a
//! nats-server of its own when a test restarts it, a minibank process wired
//! to them, and the two views to compare: the stream and the GraphQL log.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::StreamMessage};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::client::{JWT_SECRET, PASSWORD, gql};
use crate::server_process::{ServerProcess, minibank};

pub const ADMIN: &str = "admin";

/// The machine's NATS (started by `.ci/run` when it is not running).
pub fn shared_nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A subject prefix and a stream of this test's own on one NATS server.
pub struct Names {
    pub url: String,
    pub prefix: String,
    pub stream: String,
}

impl Names {
    pub fn on(url: &str) -> Self {
        let id = Uuid::new_v4().simple().to_string();
        Names { url: url.into(), prefix: format!("test_{}", &id[..12]), stream: format!("TEST_{}", &id[..12]) }
    }

    /// The server's environment for these names.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NATS_URL", self.url.clone()),
            ("NATS_SUBJECT_PREFIX", self.prefix.clone()),
            ("NATS_STREAM", self.stream.clone()),
            ("JWT_SECRET", JWT_SECRET.into()),
        ]
    }

    pub async fn client(&self) -> async_nats::Client {
        async_nats::connect(self.url.as_str()).await.expect("NATS reachable")
    }

    /// Deletes the test's stream (call at the end of the test).
    pub async fn delete_stream(&self) {
        let js = jetstream::new(self.client().await);
        let _ = js.delete_stream(&self.stream).await;
    }
}

/// Starts `minibank serve` with `env` (plus anything in `extra`).
pub fn serve(database_url: &str, env: &[(&'static str, String)], extra: &[(&str, &str)]) -> ServerProcess {
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    ServerProcess::start(database_url, &all)
}

/// Registers the administrator through the CLI, before any server runs.
pub fn create_admin(database_url: &str) {
    let output = minibank(database_url)
        .args(["create-admin", "--username", ADMIN, "--email", "admin@example.com"])
        .env("ADMIN_PASSWORD", PASSWORD)
        .output()
        .expect("create-admin runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// The token of `login`, signed in with the tests' password.
pub async fn sign_in(http: &reqwest::Client, url: &str, login: &str) -> String {
    crate::client::signed_in(http, url, login).await.token
}

pub const EVENT_FIELDS: &str = "position id streamId streamType version type schemaVersion data \
     metadata { correlationId causationId commandId actorId } recordedAt";

/// Every event of the log, as the GraphQL `events` query lists it to an admin.
pub async fn logged_events(http: &reqwest::Client, url: &str, admin: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = json!("0");
    loop {
        let response = gql(
            http,
            url,
            Some(admin),
            &format!(
                "query($after: Position) {{ events(after: $after, first: 100) {{ nodes {{ {EVENT_FIELDS} }} pageInfo {{ hasNextPage }} }} }}"
            ),
            json!({ "after": after }),
        )
        .await;
        let page = &response["data"]["events"];
        let nodes = page["nodes"].as_array().unwrap_or_else(|| panic!("{response}"));
        events.extend(nodes.iter().cloned());
        match nodes.last() {
            Some(last) if page["pageInfo"]["hasNextPage"] == true => after = last["position"].clone(),
            _ => return events,
        }
    }
}

/// Every message of the stream, in stream order.
pub async fn stream_messages(names: &Names) -> Vec<StreamMessage> {
    let js = jetstream::new(names.client().await);
    let mut stream = js.get_stream(&names.stream).await.expect("the server created the stream");
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut messages = Vec::new();
    for sequence in 1..=last {
        messages.push(stream.get_raw_message(sequence).await.unwrap_or_else(|e| panic!("message {sequence}: {e}")));
    }
    messages
}

/// Waits until the stream holds `count` messages (or the time is up).
pub async fn wait_for_stream(names: &Names, count: usize, within: Duration) -> usize {
    let js = jetstream::new(names.client().await);
    let deadline = Instant::now() + within;
    let mut held = 0;
    while Instant::now() < deadline {
        if let Ok(mut stream) = js.get_stream(&names.stream).await
            && let Ok(info) = stream.info().await
        {
            held = info.state.messages as usize;
            if held >= count {
                return held;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    held
}

/// The stream equals the log: the same events, each once, in the same
/// order, each with the documented subject, headers and body.
pub fn assert_stream_equals_log(names: &Names, messages: &[StreamMessage], logged: &[Value]) {
    let streamed: Vec<i64> = messages.iter().map(|m| header(m, "Minibank-Position").parse().unwrap()).collect();
    let expected: Vec<i64> = logged.iter().map(|e| e["position"].as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(streamed, expected, "the stream's positions are the log's, in order, each once");
    for (message, event) in messages.iter().zip(logged) {
        let body: Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(&body, event, "the body is the GraphQL event");
        let subject = format!(
            "{}.events.{}.{}",
            names.prefix,
            event["streamType"].as_str().unwrap().to_lowercase(),
            event["type"].as_str().unwrap()
        );
        assert_eq!(message.subject.as_str(), subject);
        assert_eq!(header(message, "Nats-Msg-Id"), event["id"].as_str().unwrap());
        assert!(body["data"].get("passwordHash").is_none(), "no secret leaves: {body}");
    }
}

pub fn header<'a>(message: &'a StreamMessage, name: &str) -> &'a str {
    message.headers.get(name).map(|v| v.as_str()).unwrap_or_else(|| panic!("no {name} header"))
}

/// A nats-server of the test's own (JetStream on, storage in a temporary
/// directory), for tests that stop and start it; killed when dropped.
pub struct OwnNats {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl OwnNats {
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut nats = OwnNats { port, dir: tempfile::tempdir().unwrap(), child: None };
        nats.restart().await;
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts it again on the same port and storage; returns once it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("nats-server.log")).unwrap())
            .spawn()
            .expect("nats-server is installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(client) = async_nats::connect(self.url()).await
                && client.flush().await.is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(self.dir.path().join("nats-server.log")).unwrap_or_default();
        panic!("nats-server did not start on port {}: {log}", self.port);
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.kill();
    }
}
