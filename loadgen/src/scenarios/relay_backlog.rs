//! Relay throughput from a backlog: start the server with NATS on a stream
//! it has never published to (a new `NATS_STREAM`) over a database that
//! already holds the events; the relay publishes the whole log from
//! position 0. The rate comes from the broker's own timestamps of the
//! stream's first and last message; the server's CPU time per event is
//! sampled while the stream grows.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_nats::jetstream;
use serde_json::json;

use super::Ctx;
use super::nested::cpu_seconds;
use crate::cli::RelayBacklogArgs;
use crate::report::Summary;

/// The stream counts as complete once it held `--events` and did not grow for this long.
const SETTLED: Duration = Duration::from_secs(1);
/// The longest the whole backlog may take.
const LIMIT: Duration = Duration::from_secs(600);

pub async fn run(ctx: &Ctx, args: &RelayBacklogArgs) -> anyhow::Result<Summary> {
    let client = async_nats::connect(args.nats.nats_url.as_str())
        .await
        .with_context(|| format!("cannot connect to NATS at {}", args.nats.nats_url))?;
    let js = jetstream::new(client);
    let started = Instant::now();
    let mut cpu_start: Option<(f64, u64)> = None;
    let (mut held, mut grew_at) = (0u64, Instant::now());
    let info = loop {
        if started.elapsed() > LIMIT {
            bail!("the stream {} held {held} of {} events after {LIMIT:?}", args.nats.stream, args.events);
        }
        let info = match js.get_stream(&args.nats.stream).await {
            Ok(mut stream) => stream.info().await.context("cannot read the stream's state")?.clone(),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let messages = info.state.messages;
        if cpu_start.is_none() && messages > 0 {
            cpu_start = ctx.common.server_pid.map(cpu_seconds).transpose()?.map(|cpu| (cpu, messages));
        }
        if messages != held {
            held = messages;
            grew_at = Instant::now();
        }
        if held >= args.events && grew_at.elapsed() >= SETTLED {
            break info;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let cpu_end = ctx.common.server_pid.map(cpu_seconds).transpose()?;
    let state = &info.state;
    let span = (state.last_timestamp - state.first_timestamp).as_seconds_f64();
    let rate = (state.messages.saturating_sub(1)) as f64 / span.max(1e-9);
    let mut summary = Summary::new("relay-backlog", 1);
    summary.duration_s = span;
    summary.operations_ok = state.messages;
    summary.throughput_ops_s = rate;
    let mut detail = json!({
        "stream": args.nats.stream,
        "messages": state.messages,
        "first_to_last_message_s": span,
        "events_per_s": rate,
    });
    if let (Some((before, at)), Some(after)) = (cpu_start, cpu_end) {
        let events = state.messages.saturating_sub(at).max(1) as f64;
        detail["server_cpu_s"] = json!(after - before);
        detail["server_cpu_us_per_event"] = json!((after - before) * 1e6 / events);
    }
    summary.detail("relay", detail);
    if args.delete_stream {
        js.delete_stream(&args.nats.stream).await.context("cannot delete the stream")?;
    }
    Ok(summary)
}
