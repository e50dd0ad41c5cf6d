//! CORS origins as configured by a person: a trailing slash names the same origin.

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_configured_origin_with_a_trailing_slash_matches_what_browsers_send() {
    let app = spawn_app_with(|settings| settings.http.cors_origins = vec!["https://app.example/".into()]).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, &app.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
