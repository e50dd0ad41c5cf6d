//! Builds the schema with its limits, and a twin for introspection only.

use std::sync::Arc;

use async_graphql::Schema;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use super::ErrorCodes;
use super::mutation::Mutation;
use super::query::Query;
use super::subscription::Subscription;
use crate::application::AppContext;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Deep enough for every real query of the contract (me → accounts → edges →
/// node → transactions → edges → node → field is 8).
pub const MAX_DEPTH: usize = 12;
/// Connection fields cost `first × children`; 20 accounts with 20
/// transactions of 10 fields each is about 4,500.
pub const MAX_COMPLEXITY: usize = 5_000;

pub struct Schemas {
    /// Every application operation runs here, within the limits.
    pub main: AppSchema,
    /// GraphiQL's introspection query is deeper than any application query, so
    /// operations that only introspect run here, without the limits.
    pub introspection: AppSchema,
}

pub fn build_schemas(ctx: Arc<AppContext>) -> Schemas {
    let main = Schema::build(Query, Mutation, Subscription)
        .data(ctx.clone())
        .extension(ErrorCodes)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(50)
        .finish();
    let introspection = Schema::build(Query, Mutation, Subscription)
        .data(ctx)
        .extension(ErrorCodes)
        .introspection_only()
        .limit_recursive_depth(64)
        .finish();
    Schemas { main, introspection }
}

/// The SDL of the schema, as committed in schema.graphql.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, Subscription).finish().sdl()
}

/// True when every root field of every operation is `__schema`, `__type` or `__typename`.
pub fn is_introspection_only(document: &ExecutableDocument) -> bool {
    fn only_meta(document: &ExecutableDocument, set: &SelectionSet) -> bool {
        set.items.iter().all(|selection| match &selection.node {
            Selection::Field(field) => field.node.name.node.starts_with("__"),
            Selection::InlineFragment(fragment) => only_meta(document, &fragment.node.selection_set.node),
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| only_meta(document, &f.node.selection_set.node)),
        })
    }
    document.operations.iter().all(|(_, op)| only_meta(document, &op.node.selection_set.node))
}
