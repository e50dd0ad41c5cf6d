//! Two `minibank` processes on one PostgreSQL database act as one service.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{JWT_SECRET, code, deposit, http, open_account, register, sign_up};
use crate::postgres_url;
use crate::server_process::ServerProcess;
use crate::test_database::TestDatabase;
use crate::ws_client::{TRANSPORT_WS, WsClient};

/// Both instances, started at the same moment (they race to migrate), with
/// polling effectively off: B can only learn of A's commits by NOTIFY.
fn two_instances(database: &TestDatabase) -> (ServerProcess, ServerProcess) {
    let env = [("JWT_SECRET", JWT_SECRET), ("FEED_POLL_MS", "600000")];
    let url = database.url().to_string();
    let a = std::thread::spawn({
        let url = url.clone();
        move || ServerProcess::start(&url, &env)
    });
    let b = ServerProcess::start(&url, &env);
    (a.join().unwrap(), b)
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TEST_DATABASE_URL=... cargo test --test cluster -- --ignored"]
async fn a_subscriber_on_b_receives_what_is_committed_through_a_in_order() {
    let database = TestDatabase::postgres(postgres_url()).await;
    let (a, b) = two_instances(&database);
    let http = http();
    let token = sign_up(&http, &a.url(), "alice").await;
    let account = open_account(&http, &a.url(), &token).await;

    let mut ws = WsClient::connect(&b.addr.parse().unwrap(), TRANSPORT_WS, None).await;
    ws.init(json!({ "authToken": token })).await;
    ws.subscribe(TRANSPORT_WS, "1", "subscription { events { position type data } }", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut latencies = Vec::new();
    let mut last_position = 0;
    for i in 1..=50 {
        let response = deposit(&http, &a.url(), &token, &account, &format!("{i}")).await;
        let committed_at = Instant::now();
        let position: i64 = response["data"]["deposit"]["position"].as_str().unwrap().parse().unwrap();
        let event = ws.next_data("1").await["events"].clone();
        latencies.push(committed_at.elapsed());
        let delivered: i64 = event["position"].as_str().unwrap().parse().unwrap();
        assert_eq!(delivered, position, "B delivers A's commit, in order");
        assert!(delivered > last_position);
        assert_eq!(event["data"]["amount"], format!("{i}.00"));
        last_position = delivered;
    }
    latencies.sort();
    eprintln!(
        "A→B delivery after the mutation answered: p50 {:?}, p99 {:?}, max {:?} (polling off: NOTIFY only)",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies[latencies.len() - 1]
    );
    // Reads through B see A's writes.
    let through_b = crate::client::gql(
        &http,
        &b.url(),
        Some(&token),
        "query($id: ID!) { account(id: $id) { balance version } }",
        json!({ "id": account }),
    )
    .await;
    assert_eq!(through_b["data"]["account"]["balance"], "1275.00");
    assert_eq!(through_b["data"]["account"]["version"], 51);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: TEST_DATABASE_URL=... cargo test --test cluster -- --ignored"]
async fn registrations_through_both_instances_with_one_email_let_exactly_one_in() {
    let database = TestDatabase::postgres(postgres_url()).await;
    let (a, b) = two_instances(&database);
    let http = http();
    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let (http, url) = (http.clone(), if i % 2 == 0 { a.url() } else { b.url() });
            tokio::spawn(async move { register(&http, &url, &format!("user{i}"), "Same@Example.com").await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(code(&attempt.await.unwrap()).map(String::from));
    }
    assert_eq!(outcomes.iter().filter(|c| c.is_none()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().flatten().all(|c| c == "ALREADY_EXISTS"), "{outcomes:?}");
}
