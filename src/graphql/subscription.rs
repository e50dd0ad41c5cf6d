use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, Subscription as SubscriptionRoot};
use futures::{Stream, StreamExt};

use super::errors::{OrGql, gql_error};
use super::request::{actor, app};
use super::scalars::Position;
use super::types::{Account, Event, EventFilterInput, parse_id};
use crate::application::live::{SubscriptionEnded, Visibility};
use crate::application::queries::Queries;
use crate::application::{AppContext, AppError};

pub struct Subscription;

/// The error that ends a subscription early, with where to resume.
fn ended(reason: SubscriptionEnded) -> async_graphql::Error {
    let code = match reason {
        SubscriptionEnded::Lagged { .. } => "SUBSCRIPTION_LAGGED",
        SubscriptionEnded::Unavailable { .. } => "SERVICE_UNAVAILABLE",
    };
    async_graphql::Error::new(reason.to_string()).extend_with(|_, e| {
        e.set("code", code);
        e.set("resumeAfter", reason.resume_after().to_string());
    })
}

#[SubscriptionRoot]
impl Subscription {
    /// Events the caller may see, in global order. With `after`, first every
    /// committed event after that position (catch-up), then live ones, with no
    /// gap and no duplicate at the switch; without it, live events only.
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<Position>,
        filter: Option<EventFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Event>> + use<>> {
        let app: &AppContext = app(ctx);
        let filter = filter.unwrap_or_default().parse().gql()?;
        let mut visibility = Visibility::of(app, actor(ctx)?).await.gql()?;
        let feed = app.feed.subscribe(after.map(|p| p.0)).await.map_err(AppError::Unexpected).gql()?.into_stream();
        Ok(feed.filter_map(move |item| {
            let out = match item {
                Ok(event) if filter.matches(&event) && visibility.admits(&event) => {
                    Some(Ok(Event::from(Arc::unwrap_or_clone(event))))
                }
                Ok(event) => {
                    // Invisible events still teach visibility (a new account of the caller's).
                    visibility.admits(&event);
                    None
                }
                Err(reason) => Some(Err(ended(reason))),
            };
            futures::future::ready(out)
        }))
    }

    /// The account's full read-model state after each committed change to it.
    /// Bursts coalesce: a state that is already superseded when it is read is
    /// skipped, so a client never sees a stale one.
    async fn account_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Account>> + use<>> {
        let app: Arc<AppContext> = ctx.data_unchecked::<Arc<AppContext>>().clone();
        let actor = actor(ctx)?;
        let id = parse_id("id", &id).gql()?;
        if Queries::new(&app, actor).account(id).await.gql()?.is_none() {
            return Err(gql_error(AppError::NotFound("account")));
        }
        let feed = app.feed.subscribe(None).await.map_err(AppError::Unexpected).gql()?.into_stream();
        Ok(feed
            .filter(move |item| futures::future::ready(item.as_ref().map_or(true, |e| e.stream_id == id)))
            .filter_map(move |item| {
                let app = app.clone();
                async move {
                    let event = match item {
                        Ok(event) => event,
                        Err(reason) => return Some(Err(ended(reason))),
                    };
                    match Queries::new(&app, actor).account(id).await {
                        Ok(Some(account)) if account.version > event.version => None,
                        Ok(Some(account)) => Some(Ok(Account::from(account))),
                        Ok(None) => Some(Err(gql_error(AppError::NotFound("account")))),
                        Err(error) => Some(Err(gql_error(error))),
                    }
                }
            }))
    }
}
