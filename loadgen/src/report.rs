//! The summary: printed as a table, written as JSON, and the verdict.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::rss::Memory;
use crate::runner::RunResult;
use crate::stats::Percentiles;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub clients: usize,
    pub duration_s: f64,
    /// Operations answered as intended (ok), plus answered with an expected error.
    pub operations_ok: u64,
    pub operations_expected_errors: u64,
    /// (ok + expected errors) per second.
    pub throughput_ops_s: f64,
    pub latency: Percentiles,
    /// GraphQL errors by `extensions.code` that the scenario does not expect.
    pub errors: BTreeMap<String, u64>,
    /// Expected GraphQL errors by code (INSUFFICIENT_FUNDS in `mixed`).
    pub expected_errors: BTreeMap<String, u64>,
    pub transport_errors: BTreeMap<String, u64>,
    pub unanswered_mutations: u64,
    pub server_memory: Option<Memory>,
    /// Scenario-specific figures (baseline, subscribers, catch-up, idle memory).
    pub details: BTreeMap<String, Value>,
    /// Why the run counts as failed; empty when it passed.
    pub failures: Vec<String>,
}

impl Summary {
    pub fn new(scenario: &str, clients: usize) -> Summary {
        Summary {
            scenario: scenario.to_owned(),
            clients,
            duration_s: 0.0,
            operations_ok: 0,
            operations_expected_errors: 0,
            throughput_ops_s: 0.0,
            latency: Percentiles::default(),
            errors: BTreeMap::new(),
            expected_errors: BTreeMap::new(),
            transport_errors: BTreeMap::new(),
            unanswered_mutations: 0,
            server_memory: None,
            details: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// Fills in the figures of a closed-loop run and judges it.
    pub fn from_run(scenario: &str, clients: usize, run: &RunResult) -> Summary {
        let tally = &run.tally;
        let expected: u64 = tally.expected.values().sum();
        let answered = tally.ok + expected;
        let mut summary = Summary::new(scenario, clients);
        summary.duration_s = run.elapsed.as_secs_f64();
        summary.operations_ok = tally.ok;
        summary.operations_expected_errors = expected;
        summary.throughput_ops_s = answered as f64 / summary.duration_s.max(1e-9);
        summary.latency = Percentiles::of(&tally.latency);
        summary.errors = tally.errors.clone();
        summary.expected_errors = tally.expected.clone();
        summary.transport_errors = tally.transport.clone();
        summary.unanswered_mutations = run.unanswered;
        if tally.unexpected() > 0 {
            summary.fail(format!("{} operations failed unexpectedly", tally.unexpected()));
        }
        if run.unanswered > 0 {
            summary.fail(format!("{} mutations were not answered", run.unanswered));
        }
        if let Some(measured) = &run.measured {
            summary.cost(measured, answered);
        }
        summary
    }

    /// CPU milliseconds per operation (server; PostgreSQL backends of the
    /// database; all PostgreSQL processes) and what the server counted.
    pub fn cost(&mut self, measured: &crate::probe::Measured, operations: u64) {
        let per_op = |seconds: Option<f64>| seconds.map(|s| s * 1000.0 / operations.max(1) as f64);
        let mut cpu = serde_json::Map::new();
        for (key, seconds) in [
            ("server_ms_per_op", measured.cpu.server_s),
            ("database_ms_per_op", measured.cpu.database_backends_s),
            ("postgres_all_ms_per_op", measured.cpu.postgres_all_s),
        ] {
            if let Some(ms) = per_op(seconds) {
                cpu.insert(key.to_owned(), serde_json::json!(ms));
            }
        }
        if !cpu.is_empty() {
            self.detail("cpu", cpu);
        }
        if let Some(server) = measured.server {
            self.detail("server", server);
            if server.commands_committed > 0.0 {
                self.detail("statements_per_command", server.db_statements / server.commands_committed);
            }
        }
    }

    pub fn fail(&mut self, reason: impl Into<String>) {
        self.failures.push(reason.into());
    }

    pub fn detail(&mut self, key: &str, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.to_owned(), value);
    }

    pub fn print(&self) {
        let mut rows: Vec<(String, String)> = vec![
            ("scenario".into(), self.scenario.clone()),
            ("clients".into(), self.clients.to_string()),
            ("duration".into(), format!("{:.2} s", self.duration_s)),
            ("operations ok".into(), self.operations_ok.to_string()),
            ("throughput".into(), format!("{:.1} ops/s", self.throughput_ops_s)),
            ("latency p50/p95/p99/max".into(), latency(&self.latency)),
        ];
        let counts = |map: &BTreeMap<String, u64>| {
            if map.is_empty() {
                "none".to_owned()
            } else {
                map.iter().map(|(code, n)| format!("{code}={n}")).collect::<Vec<_>>().join(", ")
            }
        };
        rows.push(("errors".into(), counts(&self.errors)));
        if !self.expected_errors.is_empty() {
            rows.push(("expected errors".into(), counts(&self.expected_errors)));
        }
        rows.push(("transport errors".into(), counts(&self.transport_errors)));
        if self.unanswered_mutations > 0 {
            rows.push(("unanswered mutations".into(), self.unanswered_mutations.to_string()));
        }
        if let Some(memory) = self.server_memory {
            rows.push((
                "server RSS / peak".into(),
                format!("{} / {}", mib(memory.rss_bytes), mib(memory.peak_rss_bytes)),
            ));
        }
        for (key, value) in &self.details {
            flatten(key, value, &mut rows);
        }
        let verdict =
            if self.failures.is_empty() { "PASS".to_owned() } else { format!("FAIL: {}", self.failures.join("; ")) };
        rows.push(("verdict".into(), verdict));
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        println!("{}", "-".repeat(width + 40));
        for (key, value) in rows {
            println!("{key:<width$}  {value}");
        }
        println!("{}", "-".repeat(width + 40));
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
    }
}

pub fn latency(p: &Percentiles) -> String {
    format!("{:.2} / {:.2} / {:.2} / {:.2} ms", p.p50_ms, p.p95_ms, p.p99_ms, p.max_ms)
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Nested details become dotted rows.
fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                flatten(&format!("{prefix}.{key}"), inner, rows);
            }
        }
        Value::Number(n) => {
            let text = n.as_f64().filter(|_| n.is_f64()).map_or_else(|| n.to_string(), |f| format!("{f:.2}"));
            rows.push((prefix.to_owned(), text));
        }
        Value::String(s) => rows.push((prefix.to_owned(), s.clone())),
        other => rows.push((prefix.to_owned(), other.to_string())),
    }
}
