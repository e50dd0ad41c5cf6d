//! Item 2: introspection stays usable by GraphiQL, Apollo and codegen (one
//! full introspection query) but is bounded like every other operation.

use std::time::Instant;

use serde_json::json;

use crate::support::{Target, code};

const INTROSPECTION: &str = include_str!("../api/introspection.graphql");

#[tokio::test]
async fn the_full_introspection_query_works_anonymously() {
    let target = Target::start().await;
    let data = target.ok(None, INTROSPECTION, json!({})).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Account"), "{} types", types.len());
    let fields = types.iter().find(|t| t["name"] == "Mutation").unwrap()["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["name"] == "deposit"));
}

#[tokio::test]
async fn thousands_of_schema_aliases_are_refused_before_any_work() {
    let mut target = Target::start().await;
    let rss_before = target.rss_kib();
    let selection = "types { name fields { name args { name type { name } } type { name ofType { name } } } }";
    let aliases: String = (0..5_000).map(|n| format!("s{n}: __schema {{ {selection} }} ")).collect();
    let started = Instant::now();
    let (_, body) = target.post(None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    assert!(body.to_string().len() < 4096, "a short answer: {} bytes", body.to_string().len());
    eprintln!("5,000 __schema aliases refused in {:?}", started.elapsed());

    let grown = target.rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB (bound: 64 MiB)");
    target.assert_serves().await;
}

#[tokio::test]
async fn schema_fields_are_capped_however_they_are_spelled() {
    let target = Target::start().await;
    let four: String = (0..4).map(|n| format!("s{n}: __schema {{ queryType {{ name }} }} ")).collect();
    let spread = "{ ...A ...A ...A ...A } fragment A on Query { __schema { queryType { name } } }";
    let types: String = (0..4).map(|n| format!("t{n}: __type(name: \"Account\") {{ name }} ")).collect();
    for query in [format!("{{ {four} }}"), spread.to_string(), format!("{{ {types} }}")] {
        let body = target.gql(None, &query, json!({})).await;
        assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{query}: {body}");
    }
    // Three are fine: a full introspection and a lookup or two.
    let three: String = (0..3).map(|n| format!("s{n}: __schema {{ queryType {{ name }} }} ")).collect();
    let data = target.ok(None, &format!("{{ {three} }}"), json!({})).await;
    assert_eq!(data["s2"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn introspection_has_its_own_depth_and_complexity_limits() {
    let target = Target::start().await;
    let deep = format!("{{ __schema {{ types {{ {} name {} }} }} }}", "fields { type { ".repeat(12), "} } ".repeat(12));
    let body = target.gql(None, &deep, json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
}
