//! Builds the schema with its limits, and a twin for introspection only.

use std::sync::Arc;

use async_graphql::Schema;

use super::ErrorCodes;
use super::mutation::Mutation;
use super::query::Query;
use super::root_fields::RootFieldConcurrency;
use super::subscription::Subscription;
use crate::application::AppContext;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Deep enough for every real query of the contract (me → accounts → edges →
/// node → transactions → edges → node → field is 8).
pub const MAX_DEPTH: usize = 12;
/// Connection fields cost `first × children`; 20 accounts with 20
/// transactions of 10 fields each is about 4,500.
pub const MAX_COMPLEXITY: usize = 5_000;
/// The price of a field that hashes a password (Argon2, tens of
/// milliseconds of CPU): within the limit, but never cheap.
pub const PASSWORD_COMPLEXITY: usize = 1_000;
/// The price of replaying an account's history (`accountAt`): at most
/// `MAX_COMPLEXITY / REPLAY_COMPLEXITY` replays per request.
pub const REPLAY_COMPLEXITY: usize = 250;

/// GraphiQL's introspection query needs a depth of 14 (`ofType` eight
/// times inside `types { fields { type } }`); codegen tools go a little deeper.
pub const INTROSPECTION_MAX_DEPTH: usize = 20;
/// GraphiQL's introspection query counts between 200 and 250.
pub const INTROSPECTION_MAX_COMPLEXITY: usize = 1_000;

pub struct Schemas {
    /// Every application operation runs here, within the limits.
    pub main: AppSchema,
    /// GraphiQL's introspection query is deeper than any application query, so
    /// operations that only introspect run here, with limits of their own (the
    /// guard also caps their `__schema`/`__type` fields and root fields).
    pub introspection: AppSchema,
}

pub fn build_schemas(ctx: Arc<AppContext>) -> Schemas {
    let main = Schema::build(Query, Mutation, Subscription)
        .data(ctx.clone())
        .extension(ErrorCodes)
        .extension(RootFieldConcurrency)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(50)
        .finish();
    let introspection = Schema::build(Query, Mutation, Subscription)
        .data(ctx)
        .extension(ErrorCodes)
        .introspection_only()
        .limit_depth(INTROSPECTION_MAX_DEPTH)
        .limit_complexity(INTROSPECTION_MAX_COMPLEXITY)
        .limit_recursive_depth(64)
        .finish();
    Schemas { main, introspection }
}

/// The SDL of the schema, as committed in schema.graphql.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, Subscription).finish().sdl()
}
