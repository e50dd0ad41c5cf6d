//! S subscribers on the live `events` feed while one writer deposits at a
//! fixed rate: commit-to-delivery latency and completeness.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::bail;
use rand::Rng;
use serde_json::json;

use super::Ctx;
use super::fleet::{Fleet, Gathered};
use crate::cli::SubscribeArgs;
use crate::client::Gql;
use crate::ops;
use crate::progress::Progress;
use crate::report::Summary;
use crate::runner::RunResult;
use crate::setup;
use crate::stats::{Outcome, Percentiles, Tally, new_histogram};

/// How long every subscriber has to receive the last event once the writer stopped.
const DRAIN: Duration = Duration::from_secs(15);

pub async fn run(ctx: &Ctx, args: &SubscribeArgs) -> anyhow::Result<Summary> {
    ctx.say("setup: registering a customer and opening accounts");
    let accounts = ctx.common.accounts.clamp(1, 10);
    let session = setup::prepare(&ctx.anonymous, accounts, &ctx.common.fund, ctx.common.clients).await?;
    ctx.say(format!("opening {} subscriptions", args.subscribers));
    let fleet = Fleet::open(ctx.anonymous.url(), &session.token, args.subscribers, args.per_connection).await?;
    let writer = Writer { gql: session.gql.clone(), accounts: session.accounts.clone() };
    warm_up(&fleet, &writer).await?;
    let (run, positions) = writer.write(ctx, args.rate).await;
    let last = positions.iter().copied().max().unwrap_or(0);
    let drained = Instant::now();
    while fleet.reached(last) < fleet.subscribers() && drained.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connections = fleet.connections;
    let subscribers = fleet.subscribers();
    let gathered = fleet.close().await;
    let mut summary = Summary::from_run("subscribe", 1, &run);
    summary.detail("writer_rate_target_per_s", args.rate);
    summary.detail("connections", connections);
    judge(&mut summary, subscribers, &positions, gathered);
    Ok(summary)
}

/// Until every subscriber has received one event: subscriptions start
/// asynchronously, and events before that are not theirs to get.
async fn warm_up(fleet: &Fleet, writer: &Writer) -> anyhow::Result<()> {
    for _ in 0..30 {
        let position = writer.deposit().await?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            if fleet.reached(position) == fleet.subscribers() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    bail!("after 30 warm-up events only {} of {} subscribers receive events", fleet.reached(1), fleet.subscribers())
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

/// Every subscriber must get every written event exactly once.
fn judge(summary: &mut Summary, subscribers: usize, positions: &[i64], gathered: Gathered) {
    let written: HashSet<i64> = positions.iter().copied().collect();
    let mut latency = new_histogram();
    let mut received: HashMap<(u32, i64), u32> = HashMap::new();
    for delivery in &gathered.deliveries {
        if !written.contains(&delivery.position) {
            continue;
        }
        let times = received.entry((delivery.subscriber, delivery.position)).or_default();
        *times += 1;
        if *times == 1 {
            let micros = u64::try_from(delivery.latency_us.max(1)).unwrap_or(1);
            latency.saturating_record(micros);
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
            "duplicates": duplicates,
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
    if let Some(first) = gathered.problems.first() {
        summary.fail(format!("{} subscription problems, the first: {first}", gathered.problems.len()));
    }
}
