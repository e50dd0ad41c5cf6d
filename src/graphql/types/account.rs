use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{AccountStatus, Client, Event, EventConnection, Transaction, TransactionConnection, page_args, to_id};
use crate::application::AppError;
use crate::application::access::AccountFace;
use crate::application::pagination::Page;
use crate::application::ports::AccountView;
use crate::application::queries::Queries;
use crate::graphql::app_errors::{OrGql, gql_error};
use crate::graphql::loaders::AccountLevel;
use crate::graphql::request::{actor, app};
use crate::graphql::scalars::Decimal;

/// An account; `Public` is the face shown of the other side of a transfer
/// to a customer who does not own it: who it is (id, number, currency,
/// status), not what it holds nor its history. Every other field answers
/// FORBIDDEN there.
#[derive(Clone)]
pub struct Account(pub AccountView, AccountFace, Arc<AccountLevel>);

impl From<AccountView> for Account {
    fn from(view: AccountView) -> Self {
        let level = AccountLevel::new(vec![view.clone()]);
        Account(view, AccountFace::Full, level)
    }
}

impl Account {
    /// An account of a list whose relations load with its siblings'.
    pub fn in_level(view: AccountView, level: &Arc<AccountLevel>) -> Self {
        Account(view, AccountFace::Full, level.clone())
    }

    /// The accounts of one page, as one level.
    pub fn listed(views: impl IntoIterator<Item = AccountView>) -> Arc<AccountLevel> {
        AccountLevel::new(views.into_iter().collect())
    }

    pub fn counterparty(view: AccountView) -> Self {
        Account(view, AccountFace::Public, AccountLevel::new(Vec::new()))
    }

    fn full(&self) -> async_graphql::Result<&AccountView> {
        self.1.full().map_err(gql_error)?;
        Ok(&self.0)
    }
}

/// A bank account in one currency, owned by one client. Its owner and admins
/// see every field; a customer who reaches the other side of a transfer sees
/// only `id`, `number`, `currency` and `status`, and every other field answers
/// FORBIDDEN there.
#[Object]
impl Account {
    /// Opaque, stable identifier (a UUID); use it as `accountId` in inputs.
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// Human-readable, unique account number.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The client who owns the account.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let view = self.full()?;
        let owner = self.2.owner(&Queries::new(app(ctx), actor(ctx)?), view).await.gql()?;
        owner
            .map(Client::from)
            .ok_or_else(|| anyhow::anyhow!("owner {} of account {} is missing", self.0.owner_id, self.0.id))
            .map_err(AppError::Unexpected)
            .gql()
    }

    /// ISO 4217 code, e.g. EUR.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// What the account holds, in its currency, e.g. "125.50"; negative while an overdraft is used.
    async fn balance(&self) -> async_graphql::Result<Decimal> {
        Ok(Decimal(self.full()?.balance))
    }

    /// How far below zero the balance may go (0.00 means no overdraft); set with `changeOverdraftLimit`.
    async fn overdraft_limit(&self) -> async_graphql::Result<Decimal> {
        Ok(Decimal(self.full()?.overdraft_limit))
    }

    /// `balance + overdraftLimit`: the most a withdrawal or transfer may take now.
    async fn available_balance(&self) -> async_graphql::Result<Decimal> {
        let view = self.full()?;
        Ok(Decimal(view.balance + view.overdraft_limit))
    }

    /// OPEN, or CLOSED once `closeAccount` succeeded (a closed account takes no more money).
    async fn status(&self) -> AccountStatus {
        self.0.status.into()
    }

    /// Version of the account's event stream (number of events applied).
    async fn version(&self) -> async_graphql::Result<i32> {
        Ok(self.full()?.version)
    }

    /// When the account was opened.
    async fn opened_at(&self) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.full()?.opened_at)
    }

    /// When the last event of the account was recorded.
    async fn updated_at(&self) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.full()?.updated_at)
    }

    /// Deposits, withdrawals and transfer legs booked on the account, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return: 0 to 100, 20 when omitted (more is capped at 100); a negative number is BAD_USER_INPUT."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor (an `endCursor` or edge `cursor` of the same list); a malformed cursor is BAD_USER_INPUT."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<TransactionConnection> {
        let page = page_args(ctx, first, after).gql()?;
        let view = self.full()?;
        let pages = self.2.transactions(&Queries::new(app(ctx), actor(ctx)?), page).await.gql()?;
        Ok(TransactionConnection::from_page(pages.of(view.id), &page, |t| Transaction::in_level(t, &pages.level)))
    }

    /// The account's own event stream, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return: 0 to 100, 20 when omitted (more is capped at 100); a negative number is BAD_USER_INPUT."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor (an `endCursor` or edge `cursor` of the same list); a malformed cursor is BAD_USER_INPUT."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<EventConnection> {
        let page = page_args(ctx, first, after).gql()?;
        let view = self.full()?;
        let pages = self.2.events(&Queries::new(app(ctx), actor(ctx)?), page).await.gql()?;
        let page_of_account = pages.get(&view.id).cloned().unwrap_or_else(|| Page::from_rows(Vec::new(), 0, 0));
        Ok(EventConnection::from_page(page_of_account, &page, Event::from))
    }
}
