//! The one retry loop of the command handlers: an attempt that lost a race
//! with another writer decides again on fresh state, a bounded number of
//! times, and then the caller is told to retry.

use std::time::Duration;

use rand::Rng;

use crate::application::AppError;
use crate::application::ports::{CommitError, RecordedEvent};

/// What one attempt came to.
pub(super) enum Attempt<T> {
    Done(T),
    /// Decide again at once: the state decided on was a cached one that
    /// may be stale, so nothing was lost but a guess.
    Again,
    /// Another writer changed a stream first: decide again after a short
    /// random pause, if attempts remain.
    Lost,
}

impl<T> Attempt<T> {
    pub(super) fn map<U>(self, f: impl FnOnce(T) -> U) -> Attempt<U> {
        match self {
            Attempt::Done(done) => Attempt::Done(f(done)),
            Attempt::Again => Attempt::Again,
            Attempt::Lost => Attempt::Lost,
        }
    }
}

/// Runs `attempt` (given its number, from 1) until it is done, fails, or
/// has lost `max_attempts` races; then the answer is `too_busy()`.
pub(super) async fn retrying<T, Fut>(
    max_attempts: u32,
    too_busy: impl FnOnce() -> AppError,
    mut attempt: impl FnMut(u32) -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<Attempt<T>, AppError>>,
{
    let mut number = 0;
    loop {
        number += 1;
        match attempt(number).await? {
            Attempt::Done(done) => return Ok(done),
            Attempt::Again => {}
            Attempt::Lost if number < max_attempts => {
                tracing::debug!(attempt = number, "version conflict, deciding again");
                backoff(number).await;
            }
            Attempt::Lost => return Err(too_busy()),
        }
    }
}

/// A commit's outcome as an attempt: a version conflict is a lost race;
/// any other refusal is the caller's answer.
pub(super) fn committed(
    outcome: Result<Vec<RecordedEvent>, CommitError>,
) -> Result<Attempt<Vec<RecordedEvent>>, AppError> {
    match outcome {
        Ok(events) => Ok(Attempt::Done(events)),
        Err(CommitError::Conflict { .. }) => Ok(Attempt::Lost),
        Err(CommitError::AlreadyClaimed { scope }) => Err(AppError::AlreadyExists(scope_name(scope))),
        Err(CommitError::AlreadyProcessed) => Err(AppError::AlreadyProcessed),
        Err(CommitError::Store(e)) => Err(AppError::Unexpected(e)),
    }
}

fn scope_name(scope: &'static str) -> &'static str {
    match scope {
        "email" => "e-mail",
        other => other,
    }
}

/// Random jitter keeps competing writers from colliding again in lock-step.
async fn backoff(attempt: u32) {
    let ceiling = 2u64.pow(attempt.min(6)).max(2);
    let millis = rand::rng().random_range(1..=ceiling);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}
