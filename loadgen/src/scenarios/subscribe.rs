//! S subscribers on the live `events` feed while one writer deposits at a
//! fixed rate: commit-to-delivery latency and completeness, and with
//! `--server-pid` the server's memory per connection and CPU per delivery.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::bail;
use rand::Rng;
use serde_json::json;

use super::Ctx;
use super::fleet::{Fleet, Gathered, Shape};
use crate::cli::SubscribeArgs;
use crate::client::Gql;
use crate::cpu::Watched;
use crate::ops;
use crate::progress::Progress;
use crate::report::Summary;
use crate::runner::RunResult;
use crate::stats::{Outcome, Percentiles, Tally, new_histogram};
use crate::{rss, setup, ws};

/// How long every subscriber has to receive the last event once the writer stopped.
const DRAIN: Duration = Duration::from_secs(15);

pub async fn run(ctx: &Ctx, args: &SubscribeArgs) -> anyhow::Result<Summary> {
    let shape =
        Shape { subscribers: args.subscribers, per_connection: args.per_connection, operations: args.operations };
    let connections_wanted = args.subscribers.div_ceil(args.per_connection.max(1));
    let open_files = ws::raise_open_files();
    if let Some(limit) = open_files
        && limit < connections_wanted as u64 + 64
    {
        bail!(
            "{connections_wanted} connections need more open files than this process may have ({limit}): raise `ulimit -Hn`"
        );
    }
    ctx.say("setup: registering a customer and opening accounts");
    let accounts = ctx.common.accounts.clamp(1, 10);
    let session = setup::prepare(&ctx.anonymous, accounts, &ctx.common.fund, ctx.common.clients).await?;
    let pid = ctx.common.server_pid;
    let idle_rss = match pid {
        Some(pid) => {
            ctx.say("waiting for the server's RSS to settle");
            Some(rss::settled(pid).await?)
        }
        None => None,
    };
    ctx.say(format!("opening {} subscriptions on {connections_wanted} connections", args.subscribers));
    let opened = Instant::now();
    let fleet = Fleet::open(ctx.anonymous.url(), &session.token, shape).await?;
    let open_s = opened.elapsed().as_secs_f64();
    let writer = Writer { gql: session.gql.clone(), accounts: session.accounts.clone() };
    warm_up(&fleet, &writer).await?;
    let subscribed_rss = match pid {
        Some(pid) => Some(rss::settled(pid).await?),
        None => None,
    };
    let watched = Watched { server_pid: pid, postgres_database: None };
    let cpu_before = watched.sample();
    let (run, positions) = writer.write(ctx, args.rate).await;
    let last = positions.iter().copied().max().unwrap_or(0);
    let drained = Instant::now();
    while fleet.reached(last) < fleet.subscribers() && drained.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let server_cpu_s = watched.spent_since(&cpu_before).server_s;
    let peak_rss = pid.and_then(|pid| rss::read(pid).ok());
    let connections = fleet.connections;
    let subscribers = fleet.subscribers();
    let gathered = fleet.close().await;
    let mut summary = Summary::from_run("subscribe", 1, &run);
    summary.detail("writer_rate_target_per_s", args.rate);
    summary.detail("connections", connections);
    summary.detail("distinct_operations", args.operations.clamp(1, subscribers.max(1)));
    summary.detail("seconds_to_open", open_s);
    summary.detail("open_files_limit", open_files);
    if let (Some(idle), Some(subscribed)) = (idle_rss, subscribed_rss) {
        let grown = subscribed.saturating_sub(idle);
        summary.detail(
            "server_rss",
            json!({
                "idle_bytes": idle,
                "subscribed_bytes": subscribed,
                "bytes_per_connection_above_idle": grown as f64 / connections.max(1) as f64,
                "after_run_bytes": peak_rss.map(|m| m.rss_bytes),
                "peak_bytes": peak_rss.map(|m| m.peak_rss_bytes),
            }),
        );
    }
    let delivered = judge(&mut summary, subscribers, &positions, gathered);
    if let Some(cpu) = server_cpu_s {
        summary.detail(
            "server_cpu",
            json!({
                "seconds": cpu,
                "us_per_delivery": cpu * 1e6 / delivered.max(1) as f64,
                "us_per_event_written": cpu * 1e6 / positions.len().max(1) as f64,
            }),
        );
    }
    Ok(summary)
}

/// Events written, one a second at most, until every subscription has started.
const WARM_UP_EVENTS: usize = 60;

/// Until every subscriber has received one event: subscriptions start
/// asynchronously, and events before that are not theirs to get.
async fn warm_up(fleet: &Fleet, writer: &Writer) -> anyhow::Result<()> {
    for _ in 0..WARM_UP_EVENTS {
        let position = writer.deposit().await?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            if fleet.reached(position) == fleet.subscribers() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    bail!(
        "after {WARM_UP_EVENTS} warm-up events only {} of {} subscribers receive events",
        fleet.reached(1),
        fleet.subscribers()
    )
}

struct Writer {
    gql: Gql,
    accounts: Vec<String>,
}

impl Writer {
    async fn deposit(&self) -> anyhow::Result<i64> {
        let account = &self.accounts[rand::rng().random_range(0..self.accounts.len())];
        let data = self.gql.execute(ops::DEPOSIT, ops::money(account, "1.00")).await?;
        ops::position(&data["deposit"]).ok_or_else(|| anyhow::anyhow!("deposit answered without a position: {data}"))
    }

    /// Deposits at `rate` per second for the run's duration (or count);
    /// the positions of those that committed.
    async fn write(&self, ctx: &Ctx, rate: f64) -> (RunResult, Vec<i64>) {
        let plan = ctx.plan();
        let progress = Progress::start("subscribe", plan.goal(), plan.quiet);
        let done = progress.counter();
        let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tally = Tally::default();
        let mut positions = Vec::new();
        let mut unanswered = 0;
        let started = Instant::now();
        loop {
            let more = match plan.count {
                Some(count) => (positions.len() as u64) < count,
                None => started.elapsed() < plan.duration,
            };
            if !more {
                break;
            }
            ticks.tick().await;
            let sent = Instant::now();
            let outcome = match self.deposit().await {
                Ok(position) => {
                    positions.push(position);
                    Outcome::Ok
                }
                Err(err) => match err.downcast::<crate::client::Failure>() {
                    Ok(failure) => {
                        if matches!(failure, crate::client::Failure::Transport(_)) {
                            unanswered += 1;
                        }
                        failure.outcome()
                    }
                    Err(other) => Outcome::Transport(format!("{other:#}")),
                },
            };
            tally.record(outcome, sent.elapsed());
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let elapsed = started.elapsed();
        progress.finish().await;
        let run = RunResult { tally, elapsed, unanswered, measured: None };
        (run, positions)
    }
}

/// Every subscriber must get every written event exactly once, in order;
/// the deliveries counted.
fn judge(summary: &mut Summary, subscribers: usize, positions: &[i64], gathered: Gathered) -> u64 {
    let written: HashSet<i64> = positions.iter().copied().collect();
    let mut latency = new_histogram();
    let mut received: HashMap<(u32, i64), u32> = HashMap::with_capacity(gathered.deliveries.len());
    for delivery in &gathered.deliveries {
        if !written.contains(&delivery.position) {
            continue;
        }
        let times = received.entry((delivery.subscriber, delivery.position)).or_default();
        *times += 1;
        if *times == 1 {
            latency.saturating_record(u64::from(delivery.latency_us.max(1)));
        }
    }
    let expected = (subscribers * written.len()) as u64;
    let delivered = received.len() as u64;
    let duplicates: u64 = received.values().map(|n| u64::from(n - 1)).sum();
    summary.detail(
        "delivery",
        json!({
            "subscribers": subscribers,
            "events_written": written.len(),
            "expected": expected,
            "delivered": delivered,
            "lost": expected.saturating_sub(delivered),
            "duplicates": duplicates,
            "out_of_order": gathered.out_of_order,
            "latency": Percentiles::of(&latency),
            "problems": gathered.problems.len(),
        }),
    );
    if delivered < expected {
        summary.fail(format!("{} deliveries missing", expected - delivered));
    }
    if duplicates > 0 {
        summary.fail(format!("{duplicates} duplicate deliveries"));
    }
    if gathered.out_of_order > 0 {
        summary.fail(format!("{} deliveries out of order", gathered.out_of_order));
    }
    if let Some(first) = gathered.problems.first() {
        summary.fail(format!("{} subscription problems, the first: {first}", gathered.problems.len()));
    }
    delivered
}
