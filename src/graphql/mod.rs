//! The GraphQL entry point: types, resolvers and error codes. It talks to the
//! application layer only (never to SeaORM).

mod admin;
mod app_errors;
mod engine_errors;
pub mod guard;
mod inputs;
mod loaders;
mod mutation;
mod query;
mod request;
mod root_fields;
mod scalars;
mod schema;
mod schema_description;
mod subscription;
mod types;

/// The path `subscription.rs` imports `OrGql` and `gql_error` by.
pub use app_errors::{INTERNAL_MESSAGE, code_of, gql_error};
pub use engine_errors::{ErrorCodes, classify_errors};
pub use request::{ClientAddress, RequestAuth};
pub use schema::{AppSchema, Schemas, build_schemas, runs_plain, sdl};
