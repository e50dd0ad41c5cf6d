//! Per-request data the HTTP layer attaches to each GraphQL request.

use std::sync::Arc;

use async_graphql::Context;

use super::errors::gql_error;
use crate::application::{Actor, AppContext, AppError};

/// The caller, or the fact that the token was bad. A bad token fails only the
/// fields that need a caller, not the whole request (signing in still works).
#[derive(Debug, Clone, Copy)]
pub enum RequestAuth {
    Valid(Actor),
    Invalid,
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
