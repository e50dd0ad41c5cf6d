//! Per-request data the HTTP layer attaches to each GraphQL request.

use std::sync::Arc;

use async_graphql::Context;

use super::app_errors::gql_error;
use crate::application::{Actor, AppContext, AppError};

/// The caller, or the fact that the token was bad. A bad token fails only the
/// fields that need a caller, not the whole request (signing in still works).
#[derive(Debug, Clone, Copy)]
pub enum RequestAuth {
    Valid(Actor),
    Invalid,
}

/// The network address the request came from (the TCP peer), attached by the
/// HTTP and websocket entry points; rules keyed by client address read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

pub fn client_address(ctx: &Context<'_>) -> Option<std::net::IpAddr> {
    ctx.data_opt::<ClientAddress>().map(|address| address.0)
}

pub fn app<'a>(ctx: &Context<'a>) -> &'a AppContext {
    ctx.data_unchecked::<Arc<AppContext>>()
}

pub fn actor(ctx: &Context<'_>) -> async_graphql::Result<Actor> {
    match ctx.data_opt::<RequestAuth>() {
        Some(RequestAuth::Valid(actor)) => Ok(*actor),
        Some(RequestAuth::Invalid) => Err(gql_error(AppError::Unauthenticated)),
        None => Ok(Actor::Anonymous),
    }
}
