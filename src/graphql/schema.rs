//! Builds the schema with its limits, and a twin for introspection only.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};
use chrono::Utc;

use super::ErrorCodes;
use super::guard::OperationShape;
use super::mutation::Mutation;
use super::query::Query;
use super::root_fields::{MAX_CONCURRENT_ROOT_FIELDS, RootFieldConcurrency};
use super::schema_description::SchemaDescription;
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
    /// Application operations run here, within the limits, when `plain`
    /// cannot take them (a document seen for the first time, more root fields
    /// than run at once) and over websockets.
    pub main: AppSchema,
    /// `main` that also answers `__schema { description }`: for operations
    /// that select it beside application fields (the hook would otherwise
    /// sit on every field of every operation).
    pub described: AppSchema,
    /// `main` without extensions, for operations that need none of them: a
    /// document that already validated here (so parse and validation errors
    /// need no hook), with no more root fields than may run at once and no
    /// `__schema`/`__type`. async-graphql walks every field of every
    /// operation through the extensions' hooks when there is any extension;
    /// without one it resolves fields directly. [`super::classify_errors`]
    /// then does what the error hook does for the rest.
    pub plain: AppSchema,
    /// GraphiQL's introspection query is deeper than any application query, so
    /// operations that only introspect run here, with limits of their own (the
    /// guard also caps their `__schema`/`__type` fields and root fields).
    pub introspection: AppSchema,
}

/// async-graphql's built-in `DateTime` scalar describes itself as "Implement
/// the DateTime<Utc> scalar"; a caller needs the format and the time zone.
const DATE_TIME_DESCRIPTION: &str = "A point in time as an RFC 3339 string. Answers are always in UTC, \
with a `+00:00` offset and 0, 3, 6 or 9 fraction digits, e.g. \"2026-01-31T09:15:00.123456+00:00\"; \
inputs may carry any offset (\"2026-01-31T10:15:00+01:00\" is the same instant).";

/// async-graphql's `JSON` scalar says only that it holds any JSON value.
const JSON_DESCRIPTION: &str = "A JSON value as is (not a string holding JSON). `Event.data` is always \
an object whose keys depend on the event's `type` and `schemaVersion`; amounts in it are Decimal strings.";

/// async-graphql's built-in `ID` has no description; every id here has one format.
const ID_DESCRIPTION: &str = "An opaque identifier; in minibank always a UUID string, e.g. \
\"0b2f6c1e-8a4d-4c7b-9e3f-5d1a2b3c4d5e\". A malformed id in an input or argument is BAD_USER_INPUT.";

/// The three schemas (main, introspection, SDL export) share their types,
/// descriptions and description of the schema itself.
fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query, Mutation, Subscription)
        .override_output_type_description::<chrono::DateTime<Utc>>(DATE_TIME_DESCRIPTION)
        .override_output_type_description::<async_graphql::Json<serde_json::Value>>(JSON_DESCRIPTION)
        .override_output_type_description::<async_graphql::ID>(ID_DESCRIPTION)
}

/// The limits of every application operation.
fn limited(builder: SchemaBuilder<Query, Mutation, Subscription>) -> SchemaBuilder<Query, Mutation, Subscription> {
    builder.limit_depth(MAX_DEPTH).limit_complexity(MAX_COMPLEXITY).limit_recursive_depth(32).limit_directives(50)
}

pub fn build_schemas(ctx: Arc<AppContext>) -> Schemas {
    let main = limited(builder()).data(ctx.clone()).extension(ErrorCodes).extension(RootFieldConcurrency).finish();
    let described = limited(builder())
        .data(ctx.clone())
        .extension(ErrorCodes)
        .extension(RootFieldConcurrency)
        .extension(SchemaDescription)
        .finish();
    let plain = limited(builder()).data(ctx.clone()).finish();
    let introspection = builder()
        .data(ctx)
        .extension(ErrorCodes)
        .extension(SchemaDescription)
        .introspection_only()
        .limit_depth(INTROSPECTION_MAX_DEPTH)
        .limit_complexity(INTROSPECTION_MAX_COMPLEXITY)
        .limit_recursive_depth(64)
        .finish();
    Schemas { main, described, plain, introspection }
}

/// Whether an operation of this shape, from a document that already
/// validated on `main`, may run on `plain`: it cannot ask for the schema's
/// description, its root fields are few enough to run at once, and it is
/// not a subscription (those run on `main`, over websockets).
pub fn runs_plain(shape: &OperationShape) -> bool {
    shape.ty != Some(OperationType::Subscription)
        && shape.schema_fields == 0
        && shape.root_fields <= MAX_CONCURRENT_ROOT_FIELDS
}

/// The SDL of the schema, as committed in schema.graphql, with the
/// `@specifiedBy` of the scalars that follow a published format.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(SDLExportOptions::new().include_specified_by())
}

#[cfg(test)]
mod tests {
    use async_graphql::Request;

    use super::runs_plain;
    use crate::graphql::guard;

    fn plain(query: &str) -> bool {
        let mut request = Request::new(query);
        let checked = guard::prepare(&mut request).unwrap();
        runs_plain(checked.selected(None).unwrap())
    }

    #[test]
    fn only_operations_that_need_no_extension_run_plain() {
        assert!(plain("{ me { id } }"));
        assert!(plain("mutation { openAccount(input: {}) { position } }"));
        assert!(plain("{ a: me { id } b: me { id } c: me { id } d: me { id } }"));
        assert!(!plain("{ a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } }"));
        assert!(!plain(
            "{ ...F } fragment F on Query { a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } }"
        ));
        assert!(!plain("{ me { id } __schema { description } }"));
        assert!(!plain("{ __type(name: \"Account\") { name } me { id } }"));
        assert!(!plain("subscription { events { position } }"));
    }
}
