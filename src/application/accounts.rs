//! The account mutations (open, deposit, withdraw, change the overdraft
//! limit, close): run the command, answer with the account as that command
//! left it.

use uuid::Uuid;

use super::commands::{Command, CommandMeta};
use super::handlers::load;
use super::ports::{AccountView, RecordedEvent, StreamBound};
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
        .ok_or_else(|| anyhow::anyhow!("the command recorded nothing and names no account"))?;
    let now = ctx
        .accounts
        .get(account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is missing from the read model after a command"))?;
    let account = match events.iter().rev().find(|e| e.stream_id == account_id) {
        Some(last) if last.version < now.version => as_of(ctx, now, last).await?,
        _ => now,
    };
    let position = events.last().map_or(account.last_position, |e| e.position);
    Ok(AccountChange { account, events, position })
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
