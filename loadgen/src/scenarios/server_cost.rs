//! What a subscribe run costs the server: settled RSS before opening the
//! connections and after they all receive events (per connection above
//! idle), and CPU over the writing and draining (per delivery).

use serde_json::json;

use super::Ctx;
use crate::cpu::{Sample, Watched};
use crate::report::Summary;
use crate::rss::{self, Memory};

/// Measured only with `--server-pid`; every step is a no-op without it.
pub struct ServerCost {
    pid: Option<u32>,
    idle_rss: Option<u64>,
    subscribed_rss: Option<u64>,
    watched: Watched,
    cpu_before: Option<Sample>,
    cpu_s: Option<f64>,
    after_run: Option<Memory>,
}

impl ServerCost {
    /// Waits for the idle server's RSS to settle.
    pub async fn idle(ctx: &Ctx) -> anyhow::Result<ServerCost> {
        let pid = ctx.common.server_pid;
        let idle_rss = match pid {
            Some(pid) => {
                ctx.say("waiting for the server's RSS to settle");
                Some(rss::settled(pid).await?)
            }
            None => None,
        };
        Ok(ServerCost {
            pid,
            idle_rss,
            subscribed_rss: None,
            watched: Watched { server_pid: pid, postgres_database: None },
            cpu_before: None,
            cpu_s: None,
            after_run: None,
        })
    }

    /// Once every subscriber receives events: their settled RSS.
    pub async fn subscribed(&mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.pid {
            self.subscribed_rss = Some(rss::settled(pid).await?);
        }
        Ok(())
    }

    pub fn start_cpu(&mut self) {
        self.cpu_before = Some(self.watched.sample());
    }

    /// After the writer stopped and the subscribers drained.
    pub fn stop_cpu(&mut self) {
        if let Some(before) = &self.cpu_before {
            self.cpu_s = self.watched.spent_since(before).server_s;
        }
        self.after_run = self.pid.and_then(|pid| rss::read(pid).ok());
    }

    /// `server_rss.*` and `server_cpu.*`.
    pub fn report(&self, summary: &mut Summary, connections: usize, delivered: u64, events_written: usize) {
        if let (Some(idle), Some(subscribed)) = (self.idle_rss, self.subscribed_rss) {
            let grown = subscribed.saturating_sub(idle);
            summary.detail(
                "server_rss",
                json!({
                    "idle_bytes": idle,
                    "subscribed_bytes": subscribed,
                    "bytes_per_connection_above_idle": grown as f64 / connections.max(1) as f64,
                    "after_run_bytes": self.after_run.map(|m| m.rss_bytes),
                    "peak_bytes": self.after_run.map(|m| m.peak_rss_bytes),
                }),
            );
        }
        if let Some(cpu) = self.cpu_s {
            summary.detail(
                "server_cpu",
                json!({
                    "seconds": cpu,
                    "us_per_delivery": cpu * 1e6 / delivered.max(1) as f64,
                    "us_per_event_written": cpu * 1e6 / events_written.max(1) as f64,
                }),
            );
        }
    }
}
