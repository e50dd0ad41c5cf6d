use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, Subscription as SubscriptionRoot};
use futures::{Stream, StreamExt};

use super::app_errors::{OrGql, gql_error};
use super::request::{actor, app};
use super::scalars::Position;
use super::types::{Account, Event, EventFilterInput, parse_id};
use crate::application::live::{Interest, LiveCursor, SubscriptionEnded, UpdateError, Visibility, account_updates};
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

/// Live updates over graphql-ws (`/ws`); the token goes in `connection_init`.
/// A subscriber too slow to keep up, or a server that loses its feed, gets an
/// error with code SUBSCRIPTION_LAGGED or SERVICE_UNAVAILABLE and
/// `extensions.resumeAfter`, the position to resubscribe `events(after:)` from.
#[SubscriptionRoot]
impl Subscription {
    /// Events the caller may see, in global order. With `after`, first every
    /// committed event after that position (catch-up), then live ones, with no
    /// gap and no duplicate at the switch; without it, live events only.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Catch up from after this position (the `position` of the last event handled), then go live; live only when omitted."
        )]
        after: Option<Position>,
        #[graphql(desc = "Which events to keep; every visible event when omitted.")] filter: Option<EventFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Event>> + use<>> {
        let app: &AppContext = app(ctx);
        let filter = filter.unwrap_or_default().parse().gql()?;
        let turn = app.feed.start_turn().await;
        let mut visibility = Visibility::of(app, actor(ctx)?).await.gql()?;
        let after = after.map(|p| p.0);
        let feed = match visibility.interest().or_else(|| Interest::of_filter(&filter)) {
            Some(interest) => app.feed.subscribe_to(after, interest).await,
            None => app.feed.subscribe(after).await,
        };
        let feed = feed.map_err(AppError::Unexpected).gql()?;
        drop(turn);
        let cursor = ctx.data_opt::<LiveCursor>().cloned().unwrap_or_default();
        cursor.set(feed.position());
        Ok(feed.into_stream().filter_map(move |item| {
            if let Ok(event) = &item {
                cursor.set(event.position);
            }
            let out = match item {
                // Every event is taken in, kept or not: a new account of the caller's widens what they see.
                Ok(event) if visibility.take_in(&event) && filter.matches(&event) => {
                    Some(Ok(Event::from(Arc::unwrap_or_clone(event))))
                }
                Ok(_) => None,
                Err(reason) => Some(Err(ended(reason))),
            };
            futures::future::ready(out)
        }))
    }

    /// The account's full read-model state after each committed change to it.
    async fn account_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id: the caller's own, or any for an admin (else NOT_FOUND).")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Account>> + use<>> {
        let app: Arc<AppContext> = ctx.data_unchecked::<Arc<AppContext>>().clone();
        let id = parse_id("id", &id).gql()?;
        let updates = account_updates(app, actor(ctx)?, id).await.gql()?;
        let cursor = ctx.data_opt::<LiveCursor>().cloned().unwrap_or_default();
        Ok(updates.map(move |update| match update {
            Ok(view) => {
                cursor.set(view.last_position);
                Ok(Account::from(view))
            }
            Err(UpdateError::Ended(reason)) => Err(ended(reason)),
            Err(UpdateError::Failed(error)) => Err(gql_error(error)),
        }))
    }
}
