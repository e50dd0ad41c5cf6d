//! The schema the transport is tested with: streams that count themselves,
//! floods, bursts and a caller's identity, and the tokens that name callers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::{Context, EmptyMutation, Object, Result, Schema, Subscription};
use futures::{Stream, StreamExt, stream};
use minibank::application::live::LiveCursor;
use minibank::http::websocket::{Authenticator, WsSession};

/// How many `forever` streams are alive: proves that stopping an operation
/// or closing the socket drops its stream.
#[derive(Clone, Default)]
pub struct LiveStreams(pub Arc<AtomicUsize>);

/// How many results `flood` has produced.
#[derive(Clone, Default)]
pub struct Produced(pub Arc<AtomicUsize>);

struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct Query;

#[Object]
impl Query {
    async fn hello(&self) -> &str {
        "world"
    }
}

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    async fn ticks(&self, n: i32) -> impl Stream<Item = i32> {
        stream::iter(1..=n).then(|i| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            i
        })
    }

    async fn forever(&self, ctx: &Context<'_>) -> impl Stream<Item = i32> {
        let live = ctx.data_unchecked::<LiveStreams>().0.clone();
        live.fetch_add(1, Ordering::SeqCst);
        let guard = Guard(live);
        stream::unfold((0, guard), |(i, guard)| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((i + 1, (i + 1, guard)))
        })
    }

    /// 64 KiB results as fast as they can be taken, counted in `Produced`.
    async fn flood(&self, ctx: &Context<'_>) -> impl Stream<Item = String> {
        let produced = ctx.data_unchecked::<Produced>().0.clone();
        stream::repeat_with(move || {
            produced.fetch_add(1, Ordering::SeqCst);
            "x".repeat(64 * 1024)
        })
    }

    /// `n` results of about 1 KiB as fast as they can be taken, each moving
    /// the live cursor to its number (as the API's subscriptions move it to
    /// event positions).
    async fn burst(&self, ctx: &Context<'_>, n: i32) -> impl Stream<Item = String> {
        let cursor = ctx.data_opt::<LiveCursor>().cloned().unwrap_or_default();
        stream::iter(1..=n).map(move |i| {
            cursor.set(i64::from(i));
            format!("{i:>1024}")
        })
    }

    /// Who the caller is, every 20 ms.
    async fn whoami_forever(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = String>> {
        let who = ctx.data::<String>()?.clone();
        Ok(stream::unfold(who, |who| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((who.clone(), who))
        }))
    }

    async fn whoami(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = String>> {
        let who = ctx.data::<String>()?.clone();
        Ok(stream::once(async move { who }))
    }

    async fn failing(&self) -> Result<impl Stream<Item = i32>> {
        Err::<stream::Empty<i32>, _>("refused".into())
    }
}

pub type TestSchema = Schema<Query, EmptyMutation, SubscriptionRoot>;

pub fn authenticator() -> Authenticator {
    Arc::new(|token: Option<&str>| {
        let session = |who: &str, expires_at| {
            let mut data = async_graphql::Data::default();
            data.insert(who.to_string());
            WsSession { data, expires_at, share_as: None }
        };
        // Callers whose subscriptions may share evaluations (see `sharing`).
        let sharing = |who: &str, expires_at| WsSession { share_as: Some(who.to_string()), ..session(who, expires_at) };
        match token {
            None => Ok(session("anonymous", None)),
            Some("good") => Ok(session("user", None)),
            Some("expired-soon") => Ok(session("user", Some(chrono::Utc::now() + chrono::Duration::seconds(1)))),
            Some("team-a") => Ok(sharing("team-a", None)),
            Some("team-b") => Ok(sharing("team-b", None)),
            Some("team-a-expiring") => Ok(sharing("team-a", Some(chrono::Utc::now() + chrono::Duration::seconds(1)))),
            Some(_) => Err(()),
        }
    })
}
