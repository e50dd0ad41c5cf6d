//! One subscriber replays the log from position 0: events per second until
//! it has everything up to the head seen at the start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::Rng;
use serde_json::json;

use super::Ctx;
use crate::client::Gql;
use crate::ops;
use crate::progress::{Goal, Progress};
use crate::report::Summary;
use crate::runner::{self, MakeOp, Op};
use crate::setup;
use crate::ws::{Connection, Incoming};

/// Longest wait for the next event before the replay counts as stalled.
const STALL: Duration = Duration::from_secs(30);

pub async fn run(ctx: &Ctx, events: u64) -> anyhow::Result<Summary> {
    let accounts = ctx.common.accounts.clamp(1, 100);
    ctx.say("setup: registering a customer and opening accounts");
    let session = setup::prepare(&ctx.anonymous, accounts, &ctx.common.fund, ctx.common.clients).await?;
    let mut summary = Summary::new("catch-up", 1);
    let existing = visible_events(&session.gql).await?;
    if existing < events {
        let writes = fill(ctx, &session.gql, &session.accounts, events - existing).await?;
        summary.detail("writes", writes);
    }
    let head = head_position(&session.gql, &session.accounts[0]).await?;
    let expected = visible_events(&session.gql).await?;
    ctx.say(format!("replaying {expected} events up to position {head}"));
    let replay = replay(ctx, &session.token, head, expected).await?;
    summary.duration_s = replay.elapsed.as_secs_f64();
    summary.operations_ok = replay.received;
    summary.throughput_ops_s = replay.received as f64 / summary.duration_s.max(1e-9);
    summary.detail(
        "catch_up",
        json!({
            "head_position": head,
            "expected_events": expected,
            "received_events": replay.received,
            "events_per_s": summary.throughput_ops_s,
            "first_event_ms": replay.first_event.map(|d| d.as_secs_f64() * 1000.0),
        }),
    );
    if replay.received != expected {
        summary.fail(format!("received {} events, expected {expected}", replay.received));
    }
    if replay.out_of_order > 0 {
        summary.fail(format!("{} events out of order or repeated", replay.out_of_order));
    }
    Ok(summary)
}

async fn visible_events(gql: &Gql) -> anyhow::Result<u64> {
    let data = gql.execute(ops::EVENT_COUNT, json!({})).await.context("cannot count events")?;
    data["events"]["totalCount"].as_u64().with_context(|| format!("no totalCount in {data}"))
}

/// One more deposit: its position is at least every committed one before it.
async fn head_position(gql: &Gql, account: &str) -> anyhow::Result<i64> {
    let data = gql.execute(ops::DEPOSIT, ops::money(account, "1.00")).await.context("cannot write the head event")?;
    ops::position(&data["deposit"]).with_context(|| format!("no position in {data}"))
}

/// Writes `missing` deposits with the run's concurrency.
async fn fill(ctx: &Ctx, gql: &Gql, accounts: &[String], missing: u64) -> anyhow::Result<serde_json::Value> {
    ctx.say(format!("writing {missing} events first"));
    let ids = Arc::new(accounts.to_vec());
    let make: MakeOp = Arc::new(move |rng| Op {
        query: ops::DEPOSIT,
        variables: ops::money(&ids[rng.random_range(0..ids.len())], "1.00"),
        mutation: true,
        expected: &[],
    });
    let plan = runner::Plan { count: Some(missing), ..ctx.plan() };
    let run = runner::run("writing", gql, plan, make).await;
    if run.tally.unexpected() > 0 {
        bail!("writing the events failed: {:?} {:?}", run.tally.errors, run.tally.transport);
    }
    Ok(json!({
        "events": run.tally.ok,
        "seconds": run.elapsed.as_secs_f64(),
        "throughput_ops_s": run.tally.ok as f64 / run.elapsed.as_secs_f64().max(1e-9),
    }))
}

struct Replay {
    received: u64,
    out_of_order: u64,
    elapsed: Duration,
    first_event: Option<Duration>,
}

async fn replay(ctx: &Ctx, token: &str, head: i64, expected: u64) -> anyhow::Result<Replay> {
    let mut connection = Connection::open(ctx.anonymous.url(), token).await?;
    let progress = Progress::start("catch-up", Goal::Count(expected), ctx.common.quiet);
    let done = progress.counter();
    let started = Instant::now();
    connection.subscribe("replay", ops::CATCH_UP_EVENTS, json!({ "after": "0" })).await?;
    let mut replay = Replay { received: 0, out_of_order: 0, elapsed: Duration::ZERO, first_event: None };
    let mut last = 0_i64;
    while last < head {
        let incoming = tokio::time::timeout(STALL, connection.next())
            .await
            .map_err(|_| anyhow::anyhow!("no event for {STALL:?} after position {last}"))??;
        let payload = match incoming {
            Incoming::Next { payload } => payload,
            Incoming::Ack => continue,
            Incoming::Ended { message, .. } => bail!("the replay ended early: {message}"),
            Incoming::Closed(why) => bail!("the connection closed during the replay: {why}"),
        };
        let position: i64 = payload["data"]["events"]["position"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("an event without a position: {payload}"))?;
        replay.first_event.get_or_insert_with(|| started.elapsed());
        if position <= last {
            replay.out_of_order += 1;
        }
        last = last.max(position);
        if position <= head {
            replay.received += 1;
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    replay.elapsed = started.elapsed();
    progress.finish().await;
    connection.close().await;
    Ok(replay)
}
