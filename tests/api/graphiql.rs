//! The GraphiQL page and its vendored assets, as served (tests/browser runs
//! the page in Chromium with the network outside 127.0.0.1 blocked).

use crate::helpers::spawn_app;

#[tokio::test]
async fn graphiql_names_only_its_own_assets_which_are_cached_for_a_year() {
    let app = spawn_app().await;
    let page = app.http.get(&app.url).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(!html.contains("://"), "no outside URL in the page: {html}");
    let sources: Vec<&str> = html.split(['"', '\'']).filter(|part| part.starts_with("/graphiql/")).collect::<Vec<_>>();
    let expected =
        ["graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "start.js"];
    assert_eq!(sources.len(), expected.len(), "{sources:?}");
    let base = format!("http://{}", app.server.addr);
    for (source, file) in sources.iter().zip(expected) {
        assert!(source.ends_with(file), "{source}");
        let asset = app.http.get(format!("{base}{source}")).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{source}");
        assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
        let kind = if file.ends_with(".css") { "text/css; charset=utf-8" } else { "text/javascript; charset=utf-8" };
        assert_eq!(asset.headers()["content-type"], kind);
        assert!(asset.bytes().await.unwrap().len() > 500, "{source}");
    }
    let build = sources[0].split('/').nth(2).unwrap();
    let other_build = app.http.get(format!("{base}/graphiql/000000000000/start.js")).send().await.unwrap();
    assert_eq!(other_build.status(), 404, "another build's file");
    let unknown = app.http.get(format!("{base}/graphiql/{build}/graphiql.js.map")).send().await.unwrap();
    assert_eq!(unknown.status(), 404, "a file that is not vendored");
}
