//! What a timed run cost the machine and what the server did meanwhile:
//! CPU of the server and the database (see `cpu`), and the server's own
//! counters (see `server_metrics`). Set up once from the command line; every
//! closed-loop run takes a reading at its start and at its end.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use serde::Serialize;

use crate::cli::Common;
use crate::cpu::{Sample, Spent, Watched};
use crate::server_metrics::{self, Counted};

struct Probe {
    watched: Watched,
    http: reqwest::Client,
    url: String,
}

static PROBE: OnceLock<Probe> = OnceLock::new();

pub fn install(common: &Common) {
    let watched = Watched { server_pid: common.server_pid, postgres_database: common.postgres_database.clone() };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
    let _ = PROBE.set(Probe { watched, http, url: common.url.clone() });
}

/// A reading at the start of a run.
pub struct Started {
    cpu: Sample,
    counters: Option<HashMap<String, f64>>,
}

/// What a run cost and what the server counted during it.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Measured {
    pub cpu: Spent,
    pub server: Option<Counted>,
}

pub async fn start() -> Option<Started> {
    let probe = PROBE.get()?;
    let counters = server_metrics::scrape(&probe.http, &probe.url).await;
    Some(Started { cpu: probe.watched.sample(), counters })
}

pub async fn finish(started: Option<Started>) -> Option<Measured> {
    let (probe, started) = (PROBE.get()?, started?);
    let cpu = probe.watched.spent_since(&started.cpu);
    let after = server_metrics::scrape(&probe.http, &probe.url).await;
    let server = started.counters.zip(after).map(|(before, after)| server_metrics::counted(&before, &after));
    Some(Measured { cpu, server })
}
