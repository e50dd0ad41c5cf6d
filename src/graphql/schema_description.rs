//! Introspection's `__schema { description }`: async-graphql answers every
//! schema with the same sentence from the GraphQL specification, which tells
//! a codegen tool or GraphiQL nothing about this API, so minibank's own is
//! answered instead.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ServerResult, Value};

/// What introspection answers for `__schema { description }`.
pub const SCHEMA_DESCRIPTION: &str = "minibank: clients, accounts in one currency each, deposits, \
withdrawals and transfers, kept as an append-only event log. Amounts are exact `Decimal` strings, \
times are RFC 3339 `DateTime` strings in UTC, and every error carries `extensions.code`.";

/// Answers `__Schema.description` with [`SCHEMA_DESCRIPTION`].
pub struct SchemaDescription;

impl ExtensionFactory for SchemaDescription {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SchemaDescriptionExtension)
    }
}

struct SchemaDescriptionExtension;

#[async_trait::async_trait]
impl Extension for SchemaDescriptionExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "__Schema" && info.name == "description" {
            return Ok(Some(Value::String(SCHEMA_DESCRIPTION.to_owned())));
        }
        next.run(ctx, info).await
    }
}
