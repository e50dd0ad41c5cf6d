//! The errors async-graphql raises itself (parse, validation, limits, refused
//! values) get an `extensions.code`, as Apollo clients expect; any error that
//! still has none is masked. Application errors come with theirs
//! (`app_errors`).

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::app_errors::INTERNAL_MESSAGE;
use crate::domain::value::MONEY_GRAMMAR;

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

const INVALID_ARGUMENT: &str = "Invalid value for argument \"";

fn is_bad_value(message: &str) -> bool {
    message.starts_with(INVALID_ARGUMENT)
        || message.starts_with("Failed to parse")
        || message.starts_with("Expected input type")
        || message.starts_with("Variable \"")
}

/// The input field a validation message names: the last name in its path
/// (`"input.amount"` → `amount`, `"filter.types.3"` → `types`).
fn input_field(message: &str) -> Option<&str> {
    let path = message.strip_prefix(INVALID_ARGUMENT)?.split('"').next()?;
    path.rsplit('.').find(|segment| !segment.is_empty() && !segment.bytes().all(|b| b.is_ascii_digit()))
}

/// A value the schema refuses is the client's mistake: BAD_USER_INPUT, with
/// the input field it came in and, for money, the grammar it broke.
fn mark_bad_value(error: &mut ServerError) {
    if error.message.ends_with("expected type \"Decimal\"") {
        error.message = format!("{}: {MONEY_GRAMMAR}", error.message);
    }
    if let Some(field) = input_field(&error.message).map(str::to_string) {
        error.extensions.get_or_insert_with(Default::default).set("field", field);
    }
    set_code(error, "BAD_USER_INPUT");
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
        mark_bad_value(error);
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

/// The codes of a response's errors, as the request hook gives them; also
/// for a response of the schema without extensions, whose document already
/// validated (so no parse or validation hook had anything to do).
pub fn classify_errors(response: &mut Response) {
    response.errors.iter_mut().for_each(classify);
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        classify_errors(&mut response);
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
                    mark_bad_value(error);
                } else {
                    set_code(error, "GRAPHQL_VALIDATION_FAILED");
                }
            }
            errors
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_names_its_input_field() {
        let field = |m: &str| input_field(m).map(str::to_string);
        assert_eq!(
            field("Invalid value for argument \"input.amount\", expected type \"Decimal\"").as_deref(),
            Some("amount")
        );
        assert_eq!(
            field("Invalid value for argument \"filter.types.3\", expected type \"String\"").as_deref(),
            Some("types")
        );
        assert_eq!(field("Invalid value for argument \"limit\", expected type \"Decimal\"").as_deref(), Some("limit"));
        assert_eq!(field("Failed to parse \"Decimal\": no"), None);
    }

    #[test]
    fn a_refused_decimal_is_bad_user_input_with_the_grammar() {
        let mut error =
            ServerError::new("Invalid value for argument \"input.overdraftLimit\", expected type \"Decimal\"", None);
        classify(&mut error);
        let extensions = error.extensions.as_ref().expect("extensions");
        assert_eq!(extensions.get("code"), Some(&async_graphql::Value::from("BAD_USER_INPUT")));
        assert_eq!(extensions.get("field"), Some(&async_graphql::Value::from("overdraftLimit")));
        assert!(error.message.ends_with(MONEY_GRAMMAR), "{}", error.message);
    }
}
