//! The account mutations (open, deposit, withdraw, change the overdraft
//! limit, close): run the command, answer with the account as that command
//! left it.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use lru::LruCache;
use uuid::Uuid;

use super::commands::{Command, CommandMeta};
use super::handlers::{Loaded, load};
use super::ports::{AccountView, RecordedEvent, StreamBound, StreamVersion};
use super::{AppContext, AppError};
use crate::domain::account::Account;
use crate::domain::value::{from_cents, to_cents};

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
    if let Some(last) = events.iter().rev().find(|e| e.stream_id == account_id)
        && let Some(account) = as_committed(ctx, account_id, last)
    {
        return Ok(AccountChange { account, position: last.position, events });
    }
    let now = ctx
        .accounts
        .get(account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is missing from the read model after a command"))?;
    ctx.account_openings.remember(&now);
    let account = match last_event(ctx, account_id, &events, outcome.unchanged).await? {
        Some(last) if last.version < now.version => as_of(ctx, now, &last).await?,
        _ => now,
    };
    let position = events.last().map_or(account.last_position, |e| e.position);
    Ok(AccountChange { account, events, position })
}

/// The account as the command's commit left it, from the state the command
/// decided on and committed (kept in memory by the handler), when it is
/// still there and the account's opening instant is known: no read needed.
fn as_committed(ctx: &AppContext, account_id: Uuid, last: &RecordedEvent) -> Option<AccountView> {
    let loaded = ctx.snapshots.memory().get::<Loaded<Account>>(account_id)?;
    let account = loaded.state.opened().filter(|_| loaded.version == last.version)?;
    let opened_at = if last.version == 1 { last.recorded_at } else { ctx.account_openings.get(account_id)? };
    Some(AccountView {
        id: account_id,
        number: account.number.as_str().to_owned(),
        owner_id: account.owner_id,
        currency: account.currency.as_str().to_owned(),
        balance: from_cents(to_cents(account.balance)),
        overdraft_limit: from_cents(to_cents(account.overdraft_limit.value())),
        status: account.status,
        version: last.version,
        opened_at,
        updated_at: last.recorded_at,
        last_position: last.position,
    })
}

/// When accounts were opened, for answers built without a read: it never
/// changes, so the read model is asked once per account.
pub struct AccountOpenings(Mutex<LruCache<Uuid, DateTime<Utc>>>);

/// Accounts whose opening instant is kept.
const OPENINGS_KEPT: NonZeroUsize = NonZeroUsize::new(10_000).unwrap();

impl Default for AccountOpenings {
    fn default() -> Self {
        AccountOpenings(Mutex::new(LruCache::new(OPENINGS_KEPT)))
    }
}

impl AccountOpenings {
    fn get(&self, account_id: Uuid) -> Option<DateTime<Utc>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&account_id).copied()
    }

    fn remember(&self, account: &AccountView) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).put(account.id, account.opened_at);
    }
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
