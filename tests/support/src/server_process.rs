//! The real `minibank` binary as a child process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `minibank` binary Cargo builds for the integration tests, beside the
/// test binary's own directory: target/<profile>/minibank for a test running
/// from target/<profile>/deps (`CARGO_BIN_EXE_minibank` is only known when
/// compiling the test binaries themselves, not this crate).
pub fn binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test binary's path");
    let profile = test.parent().and_then(|deps| deps.parent()).expect("a test binary in target/<profile>/deps");
    let binary = profile.join(format!("minibank{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "{} is built with the test binaries (cargo test builds it)", binary.display());
    binary
}

/// `minibank` on `database_url`, logging at info, with no inherited secret.
pub fn minibank(database_url: &str) -> Command {
    let mut command = Command::new(binary());
    command.env("DATABASE_URL", database_url).env("RUST_LOG", "info").env_remove("JWT_SECRET");
    command
}

/// A served instance; killed (and reaped) when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub addr: String,
    /// Log lines up to the one that names the address.
    pub log: Vec<String>,
    /// Every ERROR line logged so far.
    errors: Arc<Mutex<Vec<String>>>,
    /// Every line logged after startup, so far.
    later: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `minibank serve` on a random port; the address is read from its log.
    pub fn start(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let mut command = minibank(database_url);
        command.args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut log = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            log.push(line.clone());
            if let Some(rest) = line.split("GraphiQL at http://").nth(1) {
                let addr = rest.split('/').next().unwrap().to_string();
                let errors = Arc::new(Mutex::new(log.iter().filter(|l| is_error(l)).cloned().collect::<Vec<_>>()));
                let later = Arc::new(Mutex::new(Vec::new()));
                let (kept_errors, kept) = (errors.clone(), later.clone());
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || {
                    for line in lines.map_while(Result::ok) {
                        if is_error(&line) {
                            kept_errors.lock().unwrap().push(line.clone());
                        }
                        kept.lock().unwrap().push(line);
                    }
                });
                return ServerProcess { child, addr, log, errors, later };
            }
        }
        child.kill().ok();
        child.wait().ok();
        panic!("the server did not say where it listens: {log:?}");
    }

    /// The ERROR lines the server has logged (read from its output as it comes).
    pub fn error_lines(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }

    /// The lines logged after startup, so far.
    pub fn later_log(&self) -> Vec<String> {
        self.later.lock().unwrap().clone()
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    pub fn wait_for_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                panic!("the server did not stop within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether a log line (text, possibly coloured, or JSON) is at level ERROR.
fn is_error(line: &str) -> bool {
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(line) {
        return fields.get("level").and_then(|l| l.as_str()) == Some("ERROR");
    }
    // Text: "<timestamp> <LEVEL> <target>: ...", with ANSI colour codes around parts.
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            plain.push(c);
        }
    }
    plain.split_whitespace().nth(1) == Some("ERROR")
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
