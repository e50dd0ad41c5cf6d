use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::admin::ProjectionStatus;
use super::errors::OrGql;
use super::request::{actor, app};
use super::scalars::Position;
use super::types::{
    Account, AccountConnection, AccountSnapshot, AccountStatus, Client, ClientConnection, Event, EventConnection,
    EventFilterInput, Transfer, page_args, parse_id,
};
use crate::application::queries::Queries;

pub struct Query;

#[Object]
impl Query {
    /// The signed-in client. UNAUTHENTICATED without a token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Queries::new(app(ctx), actor(ctx)?).me().await.map(Client::from).gql()
    }

    async fn client(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Client>> {
        let id = parse_id("id", &id).gql()?;
        Ok(Queries::new(app(ctx), actor(ctx)?).client(id).await.gql()?.map(Client::from))
    }

    /// Admin only. `search`: part of a username, e-mail or name, at most 100 characters.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<ClientConnection> {
        let page = page_args(ctx, first, after).gql()?;
        let result = Queries::new(app(ctx), actor(ctx)?).clients(search.as_deref(), &page).await.gql()?;
        let level = Client::listed(result.items.iter().map(|(_, c)| c.id));
        Ok(ClientConnection::from_page(result, &page, |c| Client::in_level(c, &level)))
    }

    async fn account(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Account>> {
        let id = parse_id("id", &id).gql()?;
        Ok(Queries::new(app(ctx), actor(ctx)?).account(id).await.gql()?.map(Account::from))
    }

    /// `number`: MB and 10 digits, the last a check digit (spaces and case
    /// do not matter); any other shape is BAD_USER_INPUT.
    async fn account_by_number(&self, ctx: &Context<'_>, number: String) -> async_graphql::Result<Option<Account>> {
        Ok(Queries::new(app(ctx), actor(ctx)?).account_by_number(&number).await.gql()?.map(Account::from))
    }

    /// Customers: their own accounts. Admins: all, or one owner's.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        owner_id: Option<ID>,
        status: Option<AccountStatus>,
    ) -> async_graphql::Result<AccountConnection> {
        let page = page_args(ctx, first, after).gql()?;
        let owner_id = owner_id.as_ref().map(|id| parse_id("ownerId", id)).transpose().gql()?;
        let result =
            Queries::new(app(ctx), actor(ctx)?).accounts(owner_id, status.map(Into::into), &page).await.gql()?;
        let level = Account::listed(result.items.iter().map(|(_, a)| a.clone()));
        Ok(AccountConnection::from_page(result, &page, |a| Account::in_level(a, &level)))
    }

    /// Time travel: replay the account's events up to a version or an instant (one of them).
    #[graphql(complexity = "super::schema::REPLAY_COMPLEXITY + child_complexity")]
    async fn account_at(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: Option<i32>,
        at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Option<AccountSnapshot>> {
        let id = parse_id("id", &id).gql()?;
        let snapshot = Queries::new(app(ctx), actor(ctx)?).account_at(id, version, at).await.gql()?;
        Ok(snapshot.map(AccountSnapshot))
    }

    async fn transfer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Transfer>> {
        let id = parse_id("id", &id).gql()?;
        Ok(Queries::new(app(ctx), actor(ctx)?).transfer(id).await.gql()?.map(Transfer::from))
    }

    /// Admin only: where each projection (read model), the transfer process
    /// and any rebuild in progress has got in the log.
    async fn projections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectionStatus>> {
        let statuses = Queries::new(app(ctx), actor(ctx)?).projections().await.gql()?;
        Ok(statuses.into_iter().map(ProjectionStatus::from).collect())
    }

    /// Committed events the caller may see, in global order, after a position.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<Position>,
        first: Option<i32>,
        filter: Option<EventFilterInput>,
    ) -> async_graphql::Result<EventConnection> {
        let page = page_args(ctx, first, None).gql()?;
        let filter = filter.unwrap_or_default().parse().gql()?;
        let after = after.map_or(0, |p| p.0);
        let result = Queries::new(app(ctx), actor(ctx)?).events(after, &page, filter).await.gql()?;
        Ok(EventConnection::from_page(result, &page, Event::from))
    }
}
