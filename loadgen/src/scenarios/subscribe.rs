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
use super::paced;
use super::server_cost::ServerCost;
use crate::cli::SubscribeArgs;
use crate::client::Gql;
use crate::ops;
use crate::report::Summary;
use crate::runner::RunResult;
use crate::stats::{Percentiles, new_histogram};
use crate::{setup, ws};

/// How long every subscriber has to receive the last event once the writer stopped.
const DRAIN: Duration = Duration::from_secs(15);

pub async fn run(ctx: &Ctx, args: &SubscribeArgs) -> anyhow::Result<Summary> {
    let shape =
        Shape { subscribers: args.subscribers, per_connection: args.per_connection(), operations: args.operations };
    let connections_wanted = args.subscribers.div_ceil(args.per_connection());
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
    let mut cost = ServerCost::idle(ctx).await?;
    ctx.say(format!("opening {} subscriptions on {connections_wanted} connections", args.subscribers));
    let opened = Instant::now();
    let fleet = Fleet::open(ctx.anonymous.url(), &session.token, shape).await?;
    let open_s = opened.elapsed().as_secs_f64();
    let writer = Writer { gql: session.gql.clone(), accounts: session.accounts.clone() };
    warm_up(&fleet, &writer).await?;
    cost.subscribed().await?;
    cost.start_cpu();
    let (run, positions) = writer.write(ctx, args.rate).await;
    let last = positions.iter().copied().max().unwrap_or(0);
    let drained = Instant::now();
    while fleet.reached(last) < fleet.subscribers() && drained.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cost.stop_cpu();
    let connections = fleet.connections;
    let subscribers = fleet.subscribers();
    let gathered = fleet.close().await;
    let mut summary = Summary::from_run("subscribe", 1, &run);
    summary.detail("writer_rate_target_per_s", args.rate);
    summary.detail("connections", connections);
    summary.detail("distinct_operations", args.operations.clamp(1, subscribers.max(1)));
    summary.detail("seconds_to_open", open_s);
    summary.detail("open_files_limit", open_files);
    let delivered = judge(&mut summary, subscribers, &positions, gathered);
    cost.report(&mut summary, connections, delivered, positions.len());
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
        paced::run(ctx, "subscribe", rate, || self.deposit()).await
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
