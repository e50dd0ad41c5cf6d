//! Item 3: no sequence of documents grows the parsed-document cache past its
//! byte budget (16 MiB by estimate), and documents that fail validation are
//! never kept.

use serde_json::json;

use crate::support::{Target, code};

#[tokio::test]
async fn six_hundred_distinct_large_documents_leave_memory_bounded() {
    let mut target = Target::start().await;
    // Warm up the allocator and the ordinary caches first.
    for _ in 0..20 {
        target.ok(Some(&target.alice.token), "{ me { id } }", json!({})).await;
    }
    let rss_before = target.rss_kib();
    // The attack: distinct 16 KB documents of one-letter fields.
    for n in 0..600 {
        let query = format!("{{ x{n} {} }}", "a ".repeat(8_000));
        let body = target.gql(None, &query, json!({})).await;
        assert!(code(&body).is_some(), "refused: {body}");
    }
    // Documents that validate (and would be kept): 1,900 selections each,
    // ten times what the cache's byte budget holds.
    for n in 0..400 {
        let query = format!("{{ x{n}: me {{ {} }} }}", "id ".repeat(1_900));
        let body = target.gql(Some(&target.alice.token), &query, json!({})).await;
        assert!(body.get("errors").is_none(), "{}", &body.to_string()[..200.min(body.to_string().len())]);
    }
    let grown = target.rss_kib().saturating_sub(rss_before);
    eprintln!("RSS grew by {grown} KiB over 1,000 distinct large documents");
    assert!(grown < 96 * 1024, "RSS grew by {grown} KiB (bound: 96 MiB; 870 MiB before the cache was bounded)");
    target.assert_serves().await;
}
