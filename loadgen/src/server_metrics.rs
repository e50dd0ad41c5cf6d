//! The server's own counters, scraped from its `/metrics` before and after a
//! run: how many commands each group commit carried.

use std::collections::HashMap;

use serde::Serialize;

/// The counters a run compares.
const COUNTERS: [&str; 4] = [
    "minibank_commit_batches_total",
    "minibank_commands_committed_total",
    "minibank_db_statements_total",
    "minibank_events_appended_total",
];

/// What the server counted during a run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counted {
    pub commit_batches: f64,
    pub commands_committed: f64,
    /// Commands per group commit, on average.
    pub mean_batch_size: f64,
    pub db_statements: f64,
    pub events_appended: f64,
}

/// The counters now, or `None` when the server serves no metrics to us.
pub async fn scrape(http: &reqwest::Client, graphql_url: &str) -> Option<HashMap<String, f64>> {
    let url = reqwest::Url::parse(graphql_url).ok()?.join("/metrics").ok()?;
    let text = http.get(url).send().await.ok()?.error_for_status().ok()?.text().await.ok()?;
    let mut values = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else { continue };
        let name = name.split('{').next().unwrap_or(name);
        if COUNTERS.contains(&name) {
            *values.entry(name.to_owned()).or_insert(0.0) += value.parse::<f64>().unwrap_or(0.0);
        }
    }
    Some(values)
}

pub fn counted(before: &HashMap<String, f64>, after: &HashMap<String, f64>) -> Counted {
    let delta = |name: &str| after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0);
    let (batches, commands) = (delta(COUNTERS[0]), delta(COUNTERS[1]));
    Counted {
        commit_batches: batches,
        commands_committed: commands,
        mean_batch_size: if batches > 0.0 { commands / batches } else { 0.0 },
        db_statements: delta(COUNTERS[2]),
        events_appended: delta(COUNTERS[3]),
    }
}
