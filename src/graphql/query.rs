use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::admin::ProjectionStatus;
use super::app_errors::OrGql;
use super::request::{actor, app};
use super::scalars::Position;
use super::types::{
    Account, AccountConnection, AccountSnapshot, AccountStatus, Client, ClientConnection, Event, EventConnection,
    EventFilterInput, Transfer, page_args, parse_id,
};
use crate::application::queries::Queries;

pub struct Query;

/// Reads, for a signed-in caller: without a valid bearer token (or with an
/// expired one) a field answers UNAUTHENTICATED. A single item the caller
/// may not see answers null, as one that does not exist would.
#[Object]
impl Query {
    /// The signed-in client. UNAUTHENTICATED without a token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Queries::new(app(ctx), actor(ctx)?).me().await.map(Client::from).gql()
    }

    /// A client by id: customers see only themselves, admins anyone; null otherwise.
    async fn client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's id; a malformed id is BAD_USER_INPUT.")] id: ID,
    ) -> async_graphql::Result<Option<Client>> {
        let id = parse_id("id", &id).gql()?;
        Ok(Queries::new(app(ctx), actor(ctx)?).client(id).await.gql()?.map(Client::from))
    }

    /// Admin only. `search`: part of a username, e-mail or name, at most 100 characters.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn clients(
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
        #[graphql(
            desc = "Keep clients whose username, e-mail, first or last name contains this text, at most 100 characters."
        )]
        search: Option<String>,
    ) -> async_graphql::Result<ClientConnection> {
        let page = page_args(ctx, first, after).gql()?;
        let result = Queries::new(app(ctx), actor(ctx)?).clients(search.as_deref(), &page).await.gql()?;
        let level = Client::listed(result.items.iter().map(|(_, c)| c.id));
        Ok(ClientConnection::from_page(result, &page, |c| Client::in_level(c, &level)))
    }

    /// An account by id: its owner's or, for an admin, any; null otherwise.
    async fn account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id; a malformed id is BAD_USER_INPUT.")] id: ID,
    ) -> async_graphql::Result<Option<Account>> {
        let id = parse_id("id", &id).gql()?;
        Ok(Queries::new(app(ctx), actor(ctx)?).account(id).await.gql()?.map(Account::from))
    }

    /// `number`: MB and 10 digits, the last a check digit (spaces and case
    /// do not matter); any other shape is BAD_USER_INPUT.
    async fn account_by_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account number, e.g. MB0000000017.")] number: String,
    ) -> async_graphql::Result<Option<Account>> {
        Ok(Queries::new(app(ctx), actor(ctx)?).account_by_number(&number).await.gql()?.map(Account::from))
    }

    /// Customers: their own accounts. Admins: all, or one owner's.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn accounts(
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
        #[graphql(
            desc = "The accounts of this client: any client for an admin, only the caller itself for a customer (else FORBIDDEN)."
        )]
        owner_id: Option<ID>,
        #[graphql(desc = "Keep only OPEN or only CLOSED accounts; both when omitted.")] status: Option<AccountStatus>,
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
        #[graphql(desc = "The account's id.")] id: ID,
        #[graphql(
            desc = "Replay the first `version` events (1 or more); give `version` or `at`, not both (BAD_USER_INPUT)."
        )]
        version: Option<i32>,
        #[graphql(desc = "Replay the events recorded at or before this instant.")] at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Option<AccountSnapshot>> {
        let id = parse_id("id", &id).gql()?;
        let snapshot = Queries::new(app(ctx), actor(ctx)?).account_at(id, version, at).await.gql()?;
        Ok(snapshot.map(AccountSnapshot))
    }

    /// A transfer by id: visible to the owners of either account and to admins; null otherwise.
    async fn transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The transfer's id; a malformed id is BAD_USER_INPUT.")] id: ID,
    ) -> async_graphql::Result<Option<Transfer>> {
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
        #[graphql(
            desc = "Only events after this position (0, the default, is before the first event); pass the `position` of the last event handled to continue."
        )]
        after: Option<Position>,
        #[graphql(
            desc = "How many items to return: 0 to 100, 20 when omitted (more is capped at 100); a negative number is BAD_USER_INPUT."
        )]
        first: Option<i32>,
        #[graphql(desc = "Which events to keep; every visible event when omitted.")] filter: Option<EventFilterInput>,
    ) -> async_graphql::Result<EventConnection> {
        let page = page_args(ctx, first, None).gql()?;
        let filter = filter.unwrap_or_default().parse().gql()?;
        let after = after.map_or(0, |p| p.0);
        let result = Queries::new(app(ctx), actor(ctx)?).events(after, &page, filter).await.gql()?;
        Ok(EventConnection::from_page(result, &page, Event::from))
    }
}
