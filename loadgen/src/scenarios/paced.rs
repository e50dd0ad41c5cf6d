//! A closed-loop writer at a target rate: one operation per tick, each
//! waiting for its answer, so a busy server shows as a lower achieved rate.

use std::future::Future;
use std::time::{Duration, Instant};

use super::Ctx;
use crate::client::Failure;
use crate::progress::Progress;
use crate::runner::RunResult;
use crate::stats::{Outcome, Tally};

/// Runs `operation` `rate` times a second for the run's duration (or
/// `--count` successes); what the successful ones answered, in order.
pub async fn run<T, F, Fut>(ctx: &Ctx, label: &str, rate: f64, mut operation: F) -> (RunResult, Vec<T>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let plan = ctx.plan();
    let progress = Progress::start(label, plan.goal(), plan.quiet);
    let done = progress.counter();
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tally = Tally::default();
    let mut answers = Vec::new();
    let mut unanswered = 0;
    let started = Instant::now();
    loop {
        let more = match plan.count {
            Some(count) => (answers.len() as u64) < count,
            None => started.elapsed() < plan.duration,
        };
        if !more {
            break;
        }
        ticks.tick().await;
        let sent = Instant::now();
        let outcome = match operation().await {
            Ok(answer) => {
                answers.push(answer);
                Outcome::Ok
            }
            Err(err) => match err.downcast::<Failure>() {
                Ok(failure) => {
                    if matches!(failure, Failure::Transport(_)) {
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
    (RunResult { tally, elapsed, unanswered, measured: None }, answers)
}
