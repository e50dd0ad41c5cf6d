//! Commit-to-stream latency of the NATS relay: deposits at a fixed rate
//! (open loop, each on its own task), and a NATS subscriber on the
//! deposits' subject timing each event from its `recordedAt` (set in the
//! committing transaction, same machine clock) and from the mutation's
//! answer to its arrival.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use futures::StreamExt;
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::Ctx;
use crate::cli::RelayLatencyArgs;
use crate::client::Failure;
use crate::ops;
use crate::progress::Progress;
use crate::report::Summary;
use crate::runner::RunResult;
use crate::setup;
use crate::stats::{Outcome, Percentiles, Tally, new_histogram};

/// How long the last events have to reach the stream once writing stopped.
const DRAIN: Duration = Duration::from_secs(15);
/// Deposits in flight at once; more wait (and the rate falls short).
const IN_FLIGHT: usize = 512;

/// When an event arrived on NATS, and when it was recorded.
struct Arrival {
    at: SystemTime,
    recorded_at: SystemTime,
}

pub async fn run(ctx: &Ctx, args: &RelayLatencyArgs) -> anyhow::Result<Summary> {
    ctx.say("setup: registering a customer and opening accounts");
    let accounts = ctx.common.accounts.clamp(1, 100);
    let session = setup::prepare(&ctx.anonymous, accounts, &ctx.common.fund, ctx.common.clients).await?;
    let nats = async_nats::connect(args.nats.nats_url.as_str())
        .await
        .with_context(|| format!("cannot connect to NATS at {}", args.nats.nats_url))?;
    let subject = format!("{}.events.account.MoneyDeposited", args.nats.prefix);
    let mut deliveries = nats.subscribe(subject).await.context("cannot subscribe on NATS")?;
    nats.flush().await?;
    let arrivals: Arc<Mutex<HashMap<i64, Vec<Arrival>>>> = Arc::default();
    let collector = tokio::spawn({
        let arrivals = arrivals.clone();
        async move {
            while let Some(message) = deliveries.next().await {
                let at = SystemTime::now();
                let Some((position, recorded_at)) = parse(&message.payload) else { continue };
                let mut arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
                arrivals.entry(position).or_default().push(Arrival { at, recorded_at });
            }
        }
    });

    let (run, answered) = write(ctx, &session, args.rate).await;
    let drained = Instant::now();
    while drained.elapsed() < DRAIN {
        let arrived = {
            let arrived = arrivals.lock().unwrap_or_else(|p| p.into_inner());
            answered.keys().all(|position| arrived.contains_key(position))
        };
        if arrived {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    collector.abort();

    let mut summary = Summary::from_run("relay-latency", 1, &run);
    summary.detail("writer_rate_target_per_s", args.rate);
    judge(&mut summary, &answered, &arrivals.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(summary)
}

/// The position and `recordedAt` of an integration event's body.
fn parse(payload: &[u8]) -> Option<(i64, SystemTime)> {
    let body: Value = serde_json::from_slice(payload).ok()?;
    let position = body["position"].as_str()?.parse().ok()?;
    let recorded_at = chrono::DateTime::parse_from_rfc3339(body["recordedAt"].as_str()?).ok()?;
    Some((position, SystemTime::from(recorded_at)))
}

/// Deposits at `rate` per second for the run's duration (or count), each on
/// a task of its own; the answer time of each committed position.
async fn write(ctx: &Ctx, session: &setup::Session, rate: f64) -> (RunResult, HashMap<i64, SystemTime>) {
    let plan = ctx.plan();
    let progress = Progress::start("relay-latency", plan.goal(), plan.quiet);
    let done = progress.counter();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let turns = Arc::new(Semaphore::new(IN_FLIGHT));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let answered = Arc::new(Mutex::new(HashMap::new()));
    let unanswered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reading = crate::probe::start().await;
    let started = Instant::now();
    let mut sent = 0u64;
    loop {
        let more = match plan.count {
            Some(count) => sent < count,
            None => started.elapsed() < plan.duration,
        };
        if !more {
            break;
        }
        ticks.tick().await;
        let Ok(turn) = turns.clone().acquire_owned().await else { break };
        sent += 1;
        let account = session.accounts[rand::rng().random_range(0..session.accounts.len())].clone();
        let (gql, tally, answered, unanswered, done) =
            (session.gql.clone(), tally.clone(), answered.clone(), unanswered.clone(), done.clone());
        tokio::spawn(async move {
            let began = Instant::now();
            let outcome = match gql.execute(ops::DEPOSIT, ops::money(&account, "1.00")).await {
                Ok(data) => match ops::position(&data["deposit"]) {
                    Some(position) => {
                        answered.lock().unwrap_or_else(|p| p.into_inner()).insert(position, SystemTime::now());
                        Outcome::Ok
                    }
                    None => Outcome::Transport("no position".into()),
                },
                Err(failure) => {
                    if matches!(failure, Failure::Transport(_)) {
                        unanswered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    failure.outcome()
                }
            };
            tally.lock().unwrap_or_else(|p| p.into_inner()).record(outcome, began.elapsed());
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            drop(turn);
        });
    }
    let _ = turns.acquire_many(IN_FLIGHT as u32).await;
    let elapsed = started.elapsed();
    let measured = crate::probe::finish(reading).await;
    progress.finish().await;
    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(|p| p.into_inner()));
    let answered = std::mem::take(&mut *answered.lock().unwrap_or_else(|p| p.into_inner()));
    let unanswered = unanswered.load(std::sync::atomic::Ordering::Relaxed);
    (RunResult { tally, elapsed, unanswered, measured }, answered)
}

/// Every committed deposit must reach the stream's subject once.
fn judge(summary: &mut Summary, answered: &HashMap<i64, SystemTime>, arrivals: &HashMap<i64, Vec<Arrival>>) {
    let (mut from_commit, mut from_answer) = (new_histogram(), new_histogram());
    let (mut missing, mut duplicates) = (0u64, 0u64);
    let micros = |later: SystemTime, earlier: SystemTime| {
        later.duration_since(earlier).map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1))
    };
    for (position, answered_at) in answered {
        match arrivals.get(position).map(Vec::as_slice) {
            None | Some([]) => missing += 1,
            Some([first, rest @ ..]) => {
                duplicates += rest.len() as u64;
                from_commit.saturating_record(micros(first.at, first.recorded_at));
                from_answer.saturating_record(micros(first.at, *answered_at));
            }
        }
    }
    summary.detail(
        "stream",
        json!({
            "events_written": answered.len(),
            "missing": missing,
            "duplicates": duplicates,
            "latency_from_recorded_at": Percentiles::of(&from_commit),
            "latency_from_answer": Percentiles::of(&from_answer),
        }),
    );
    if missing > 0 {
        summary.fail(format!("{missing} deposits never reached the stream's subject"));
    }
    if duplicates > 0 {
        summary.fail(format!("{duplicates} deposits reached it more than once"));
    }
}
