//! The real `minibank` binary as a child process.

// Each test binary uses its own part of the shared support.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_minibank");

/// `minibank` on `database_url`, logging at info, with no inherited secret.
pub fn minibank(database_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command.env("DATABASE_URL", database_url).env("RUST_LOG", "info").env_remove("JWT_SECRET");
    command
}

/// A served instance; killed (and reaped) when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub addr: String,
    /// Log lines up to the one that names the address.
    pub log: Vec<String>,
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
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                return ServerProcess { child, addr, log };
            }
        }
        child.kill().ok();
        child.wait().ok();
        panic!("the server did not say where it listens: {log:?}");
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

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
