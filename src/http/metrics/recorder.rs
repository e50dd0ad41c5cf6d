//! The process's one metrics recorder. The `metrics` macros write to a
//! process-global recorder, so it is installed once and every server in the
//! process (tests start many) shares it and renders from the same handle.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use super::catalog::{self, BATCH_SIZE_BUCKETS, COMMIT_BATCH_SIZE, LATENCY_BUCKETS};

/// How often histograms fold their recent samples into their buckets when
/// nobody scrapes (a scrape folds them too): bounds their memory.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder unless this process already has one;
/// returns the handle to render it, or `None` when another recorder was
/// installed first (the metrics then go there, and `/metrics` is empty).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match build().and_then(PrometheusBuilder::install_recorder) {
            Ok(handle) => {
                catalog::describe_all();
                spawn_upkeep(handle.clone());
                Some(handle)
            }
            Err(error) => {
                tracing::warn!(%error, "cannot install the metrics recorder: /metrics will be empty");
                None
            }
        })
        .clone()
}

fn build() -> Result<PrometheusBuilder, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(COMMIT_BATCH_SIZE.into()), BATCH_SIZE_BUCKETS)
}

/// A thread rather than a task: it must outlive the runtime that happened to
/// install the recorder (each test has its own).
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the metrics upkeep thread; histograms are folded at each scrape only");
    }
}
