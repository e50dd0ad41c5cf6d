use async_graphql::http::GraphiQLSource;
use axum::response::Html;

/// GraphiQL, with subscriptions over a websocket on the same path.
pub fn page() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql").title("minibank").finish())
}
