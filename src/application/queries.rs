//! Reads, each authorized by the one policy of [`access`]: customers see
//! their own client, accounts and events; admins see everything.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::access;
use super::handlers::load;
use super::pagination::{Page, PageRequest};
use super::ports::{AccountListFilter, AccountView, Checkpoint, ClientView, EventFilter, StreamBound, TransferView};
use super::public_event::PublicEvent;
use super::{Actor, AppContext, AppError};
use crate::domain::account::{Account, AccountStatus};
use crate::domain::value::{AccountNumber, SearchTerm};

mod batched;

pub use batched::TransferParty;

/// An account rebuilt from its own events as of a version or an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSnapshot {
    pub id: Uuid,
    pub number: String,
    pub currency: String,
    pub balance: Decimal,
    pub overdraft_limit: Decimal,
    pub status: AccountStatus,
    pub version: i32,
    pub as_of: DateTime<Utc>,
}

/// A reader of the log against the head of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionStatus {
    pub checkpoint: Checkpoint,
    pub head: i64,
    /// Events' positions between the checkpoint and the head.
    pub lag: i64,
}

pub struct Queries<'a> {
    ctx: &'a AppContext,
    actor: Actor,
}

impl<'a> Queries<'a> {
    pub fn new(ctx: &'a AppContext, actor: Actor) -> Self {
        Queries { ctx, actor }
    }

    fn signed_in(&self) -> Result<(), AppError> {
        access::signed_in(self.actor)
    }

    fn admin(&self) -> Result<(), AppError> {
        access::privileged(self.actor, "this needs an admin")
    }

    pub async fn me(&self) -> Result<ClientView, AppError> {
        let id = self.actor.client_id().ok_or(AppError::Unauthenticated)?;
        // A valid token for a client that no longer exists (e.g. a reset database).
        self.ctx.clients.get(id).await?.ok_or(AppError::Unauthenticated)
    }

    pub async fn client(&self, id: Uuid) -> Result<Option<ClientView>, AppError> {
        self.signed_in()?;
        if !access::owns(self.actor, id) {
            return Ok(None);
        }
        Ok(self.ctx.clients.get(id).await?)
    }

    pub async fn clients(&self, search: Option<&str>, page: &PageRequest) -> Result<Page<ClientView>, AppError> {
        self.admin()?;
        let search = SearchTerm::optional(search)?;
        Ok(self.ctx.clients.list(search.as_ref().map(SearchTerm::as_str), page).await?)
    }

    fn visible(&self, account: Option<AccountView>) -> Option<AccountView> {
        account.filter(|a| access::sees_account(self.actor, a))
    }

    pub async fn account(&self, id: Uuid) -> Result<Option<AccountView>, AppError> {
        self.signed_in()?;
        Ok(self.visible(self.ctx.accounts.get(id).await?))
    }

    /// A malformed number (the wrong shape or check digit) is the caller's
    /// mistake, told before any lookup.
    pub async fn account_by_number(&self, number: &str) -> Result<Option<AccountView>, AppError> {
        self.signed_in()?;
        let number = AccountNumber::parse(number)?;
        Ok(self.visible(self.ctx.accounts.by_number(number.as_str()).await?))
    }

    pub async fn accounts(
        &self,
        owner_id: Option<Uuid>,
        status: Option<AccountStatus>,
        page: &PageRequest,
    ) -> Result<Page<AccountView>, AppError> {
        self.signed_in()?;
        let owner_id = match (owner_id, self.actor.client_id()) {
            (Some(owner), _) if access::owns(self.actor, owner) => Some(owner),
            (Some(_), _) => {
                return Err(AppError::forbidden("customers may list only their own accounts"));
            }
            (None, _) if self.actor.is_privileged() => None,
            (None, me) => me,
        };
        Ok(self.ctx.accounts.list(&AccountListFilter { owner_id, status }, page).await?)
    }

    /// Where every projection, process manager and rebuild in progress has
    /// got, and how far behind the head of the log it is. Admin only.
    pub async fn projections(&self) -> Result<Vec<ProjectionStatus>, AppError> {
        self.admin()?;
        // Checkpoints first: a commit in between can only make a lag larger.
        let checkpoints = self.ctx.checkpoints.all().await?;
        let head = self.ctx.store.head().await?;
        Ok(checkpoints
            .into_iter()
            .map(|mut c| {
                if c.inline {
                    c.position = head;
                }
                ProjectionStatus { lag: (head - c.position).max(0), head, checkpoint: c }
            })
            .collect())
    }

    pub async fn account_at(
        &self,
        id: Uuid,
        version: Option<i32>,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<AccountSnapshot>, AppError> {
        self.signed_in()?;
        let bound = match (version, at) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input("give either version or at, not both"));
            }
            (Some(v), None) if v < 1 => {
                return Err(AppError::bad_input("version must be 1 or more"));
            }
            (Some(v), None) => StreamBound::UpToVersion(v),
            (None, Some(t)) => StreamBound::RecordedUpTo(t),
            (None, None) => StreamBound::All,
        };
        let loaded = load::<Account>(self.ctx.store.as_ref(), &self.ctx.snapshots, id, bound).await?;
        let (Some(account), Some(as_of)) = (loaded.state.opened(), loaded.last_recorded_at) else {
            return Ok(None);
        };
        if !access::owns(self.actor, account.owner_id) {
            return Ok(None);
        }
        if let Some(v) = version
            && v > loaded.version
        {
            return Err(AppError::bad_input(format!("the account has only {} versions", loaded.version)));
        }
        Ok(Some(AccountSnapshot {
            id: account.id,
            number: account.number.as_str().to_string(),
            currency: account.currency.as_str().to_string(),
            balance: account.balance,
            overdraft_limit: account.overdraft_limit.value(),
            status: account.status,
            version: loaded.version,
            as_of,
        }))
    }

    /// A transfer, to admins and to the owners of either account.
    pub async fn transfer(&self, id: Uuid) -> Result<Option<TransferView>, AppError> {
        self.signed_in()?;
        let Some(transfer) = self.ctx.transfers.get(id).await? else {
            return Ok(None);
        };
        if self.actor.is_privileged() {
            return Ok(Some(transfer));
        }
        for account_id in [transfer.from_account_id, transfer.to_account_id] {
            if self.visible(self.ctx.accounts.get(account_id).await?).is_some() {
                return Ok(Some(transfer));
            }
        }
        Ok(None)
    }

    /// An account on the other side of a visible transfer: `None` when it is
    /// the caller's own (see `account`), else its public face only.
    pub async fn counterparty(&self, id: Uuid) -> Result<Option<AccountView>, AppError> {
        self.signed_in()?;
        Ok(self.ctx.accounts.get(id).await?)
    }

    /// Narrows a filter to the streams this actor may see.
    pub async fn visible_filter(&self, mut filter: EventFilter) -> Result<EventFilter, AppError> {
        let Some(visible) = access::visible_streams(self.ctx, self.actor).await? else {
            return Ok(filter);
        };
        filter.stream_ids = Some(match filter.stream_ids {
            Some(asked) => asked.into_iter().filter(|id| visible.contains(id)).collect(),
            None => visible,
        });
        Ok(filter)
    }

    /// Committed events after a position, in global order; the cursor is the position.
    pub async fn events(
        &self,
        after: i64,
        page: &PageRequest,
        filter: EventFilter,
    ) -> Result<Page<PublicEvent>, AppError> {
        let filter = self.visible_filter(filter).await?;
        let after = page.after.unwrap_or(after).max(0);
        let rows = self.ctx.store.read_all(after, page.first + 1, &filter).await?;
        let total = page.total(self.ctx.store.count(&filter)).await?;
        let items = rows.into_iter().map(|e| (e.position, PublicEvent::upcast_and_redact(e))).collect();
        Ok(Page::from_rows(items, page.first, total))
    }
}
