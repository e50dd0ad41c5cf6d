//! Gives every error an `extensions.code`, as Apollo clients expect, and
//! masks anything unexpected.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::errors::INTERNAL_MESSAGE;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

fn has_code(error: &ServerError) -> bool {
    error.extensions.as_ref().is_some_and(|e| e.get("code").is_some())
}

fn set_code(error: &mut ServerError, code: &'static str) {
    if !has_code(error) {
        error.extensions.get_or_insert_with(Default::default).set("code", code);
    }
}

fn is_limit(message: &str) -> bool {
    message.contains("too complex")
        || message.contains("nested too deep")
        || message.contains("recursion depth")
        || message.contains("number of directives")
}

fn is_bad_value(message: &str) -> bool {
    message.starts_with("Invalid value for argument")
        || message.starts_with("Failed to parse")
        || message.starts_with("Variable \"")
        || message.contains("is not a decimal number")
}

/// Errors that reach the response without a code: limits, bad input values,
/// and — masked — anything unexpected.
fn classify(error: &mut ServerError) {
    if has_code(error) {
        return;
    }
    if is_limit(&error.message) {
        set_code(error, "QUERY_TOO_COMPLEX");
    } else if is_bad_value(&error.message) {
        set_code(error, "BAD_USER_INPUT");
    } else if error.message.starts_with("Unknown operation named")
        || error.message.starts_with("Operation name required")
    {
        set_code(error, "GRAPHQL_VALIDATION_FAILED");
    } else {
        tracing::error!(error = %error.message, path = ?error.path, "unclassified GraphQL error");
        error.message = INTERNAL_MESSAGE.to_string();
        set_code(error, "INTERNAL_SERVER_ERROR");
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors.iter_mut().for_each(classify);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                response.errors.iter_mut().for_each(classify);
                response
            })
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut error| {
            if !is_limit(&error.message) {
                set_code(&mut error, "GRAPHQL_PARSE_FAILED");
            }
            error
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            for error in &mut errors {
                if is_limit(&error.message) {
                    set_code(error, "QUERY_TOO_COMPLEX");
                } else if is_bad_value(&error.message) {
                    set_code(error, "BAD_USER_INPUT");
                } else {
                    set_code(error, "GRAPHQL_VALIDATION_FAILED");
                }
            }
            errors
        })
    }
}
