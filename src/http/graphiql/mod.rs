//! GraphiQL, served whole by the server: the page, its startup script and
//! the vendored GraphiQL and React builds (`assets/graphiql`), so it works
//! with no outside network. Queries and mutations go to POST /graphql,
//! subscriptions over a graphql-transport-ws websocket on the same path.

mod assets;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Where the assets live: `/graphiql/<build>/<file>`. The build changes with
/// the vendored versions, so each URL's content never changes and browsers
/// may keep it for a year.
pub const ASSETS_ROUTE: &str = "/graphiql/{build}/{file}";

/// Nothing but this server: the page names no outside URL, and the browser
/// is told to refuse one anyway. GraphiQL sets styles inline.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The page at GET /graphql (without a query).
pub fn page() -> Response {
    let build = assets::build();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>minibank · GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/graphiql/{build}/graphiql.min.css">
    <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script src="/graphiql/{build}/react.production.min.js"></script>
    <script src="/graphiql/{build}/react-dom.production.min.js"></script>
    <script src="/graphiql/{build}/graphiql.min.js"></script>
    <script src="/graphiql/{build}/start.js"></script>
  </body>
</html>
"#
    );
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        // The page names the current build: always ask whether it changed.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (headers, html).into_response()
}

/// GET /graphiql/<build>/<file>: a vendored file, cached for a year; a file
/// of another build (an old page after an upgrade) is not found.
pub async fn asset(Path((build, file)): Path<(String, String)>) -> Response {
    match assets::find(&file).filter(|_| build == assets::build()) {
        Some(asset) => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ];
            (headers, asset.body).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
