//! The account mutations (open, deposit, withdraw, change the overdraft
//! limit, close): run the command, answer with the account as that command
//! left it.

use uuid::Uuid;

use super::commands::{Command, CommandMeta};
use super::handlers::load;
use super::ports::{AccountView, RecordedEvent, StreamBound, StreamVersion};
use super::{AppContext, AppError};
use crate::domain::account::Account;

/// The answer to an account mutation.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountChange {
    /// The account at the version this command brought it to (or found it
    /// at, when it changed nothing): the same for the first run and every
    /// repeat, whatever was recorded on the account since.
    pub account: AccountView,
    /// Events the command recorded.
    pub events: Vec<RecordedEvent>,
    /// Global position of the last event recorded (the account's last
    /// position when nothing was).
    pub position: i64,
}

/// Dispatches `command` on `account_id` (`None`: the account it opens).
pub async fn change_account(
    ctx: &AppContext,
    command: Command,
    meta: CommandMeta,
    account_id: Option<Uuid>,
) -> Result<AccountChange, AppError> {
    let outcome = ctx.bus.run(command, meta).await?;
    let events = outcome.events;
    let account_id = account_id
        .or_else(|| events.first().map(|e| e.stream_id))
        .or_else(|| outcome.unchanged.map(|found| found.stream_id))
        .ok_or_else(|| anyhow::anyhow!("the command recorded nothing and names no account"))?;
    let now = ctx
        .accounts
        .get(account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is missing from the read model after a command"))?;
    let account = match last_event(ctx, account_id, &events, outcome.unchanged).await? {
        Some(last) if last.version < now.version => as_of(ctx, now, &last).await?,
        _ => now,
    };
    let position = events.last().map_or(account.last_position, |e| e.position);
    Ok(AccountChange { account, events, position })
}

/// The account's event that the answer shows the account right after: the
/// last one the command recorded on it, or, when it recorded none, the one
/// at the version it was decided against.
async fn last_event(
    ctx: &AppContext,
    account_id: Uuid,
    events: &[RecordedEvent],
    unchanged: Option<StreamVersion>,
) -> Result<Option<RecordedEvent>, AppError> {
    if let Some(last) = events.iter().rev().find(|e| e.stream_id == account_id) {
        return Ok(Some(last.clone()));
    }
    let Some(found) = unchanged.filter(|found| found.stream_id == account_id && found.version > 0) else {
        return Ok(None);
    };
    let bound = StreamBound::UpToVersion(found.version);
    let at = ctx.store.read_stream_after(account_id, found.version - 1, bound).await?;
    match at.into_iter().next() {
        Some(event) if event.version == found.version => Ok(Some(event)),
        _ => Err(anyhow::anyhow!("account {account_id} has no version {}", found.version).into()),
    }
}

/// `now` as it was right after `last`, one of its own events: replayed from
/// the account's stream (and its snapshots) up to that version. What never
/// changes (number, owner, currency, opening) is the same in both.
async fn as_of(ctx: &AppContext, now: AccountView, last: &RecordedEvent) -> Result<AccountView, AppError> {
    let bound = StreamBound::UpToVersion(last.version);
    let loaded = load::<Account>(ctx.store.as_ref(), &ctx.snapshots, now.id, bound).await?;
    let then = loaded
        .state
        .opened()
        .filter(|_| loaded.version == last.version)
        .ok_or_else(|| anyhow::anyhow!("account {} does not replay to version {}", now.id, last.version))?;
    Ok(AccountView {
        balance: then.balance,
        overdraft_limit: then.overdraft_limit.value(),
        status: then.status,
        version: last.version,
        updated_at: last.recorded_at,
        last_position: last.position,
        ..now
    })
}
