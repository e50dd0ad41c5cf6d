//! After a mixed workload the stream holds exactly the log.

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{code, deposit, gql, http, open_account, sign_up};
use crate::support::{
    Names, assert_stream_equals_log, create_admin, logged_events, serve, shared_nats_url, sign_in, stream_messages,
    wait_for_stream,
};
use crate::test_database::TestDatabase;

async fn transfer(http: &reqwest::Client, url: &str, token: &str, from: &str, to: &str, amount: &str) -> Value {
    gql(
        http,
        url,
        Some(token),
        "mutation($input: TransferInput!) { transfer(input: $input) { transfer { id status } } }",
        json!({ "input": { "fromAccountId": from, "toAccountId": to, "amount": amount } }),
    )
    .await
}

#[tokio::test]
async fn after_a_mixed_workload_the_stream_holds_every_logged_event_once_in_order_with_its_body() {
    let database = TestDatabase::create().await;
    create_admin(database.url());
    let names = Names::on(&shared_nats_url());
    let server = serve(database.url(), &names.env(), &[]);
    let (http, url) = (http(), server.url());

    let alice = sign_up(&http, &url, "alice").await;
    let bob = sign_up(&http, &url, "bob").await;
    let admin = sign_in(&http, &url, "admin").await;
    let a1 = open_account(&http, &url, &alice).await;
    let a2 = open_account(&http, &url, &alice).await;
    let b1 = open_account(&http, &url, &bob).await;
    for amount in ["100", "25.50", "0.01"] {
        assert!(deposit(&http, &url, &alice, &a1, amount).await["errors"].is_null());
    }
    let withdraw = "mutation($input: MoneyInput!) { withdraw(input: $input) { position } }";
    let taken = gql(&http, &url, Some(&alice), withdraw, json!({ "input": { "accountId": a1, "amount": "20" } })).await;
    assert!(taken["errors"].is_null(), "{taken}");
    let refused = gql(&http, &url, Some(&bob), withdraw, json!({ "input": { "accountId": b1, "amount": "5" } })).await;
    assert_eq!(code(&refused), Some("INSUFFICIENT_FUNDS"));
    let moved = transfer(&http, &url, &alice, &a1, &b1, "30").await;
    assert!(moved["errors"].is_null(), "{moved}");
    let too_much = transfer(&http, &url, &alice, &a2, &b1, "1000").await;
    assert!(too_much["errors"].is_null() || code(&too_much).is_some(), "{too_much}");
    let not_theirs = deposit(&http, &url, &bob, &a1, "1").await;
    assert_eq!(code(&not_theirs), Some("NOT_FOUND"));
    let limit = gql(
        &http,
        &url,
        Some(&admin),
        "mutation($input: ChangeOverdraftLimitInput!) { changeOverdraftLimit(input: $input) { position } }",
        json!({ "input": { "accountId": b1, "limit": "50" } }),
    )
    .await;
    assert!(limit["errors"].is_null(), "{limit}");
    let close = "mutation($input: CloseAccountInput!) { closeAccount(input: $input) { position } }";
    let not_empty = gql(&http, &url, Some(&alice), close, json!({ "input": { "accountId": a1 } })).await;
    assert_eq!(code(&not_empty), Some("ACCOUNT_NOT_EMPTY"));
    let closed = gql(&http, &url, Some(&alice), close, json!({ "input": { "accountId": a2 } })).await;
    assert!(closed["errors"].is_null(), "{closed}");

    // The transfer process settles on its own: wait until the log stops growing.
    let mut logged = logged_events(&http, &url, &admin).await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = logged_events(&http, &url, &admin).await;
        if again.len() == logged.len() {
            break;
        }
        logged = again;
    }
    let types: Vec<&str> = logged.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for expected in ["ClientRegistered", "AccountOpened", "MoneyDeposited", "MoneyWithdrawn", "TransferRequested"] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    let held = wait_for_stream(&names, logged.len(), Duration::from_secs(20)).await;
    assert_eq!(held, logged.len(), "the stream caught up with the log");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = stream_messages(&names).await;
    assert_stream_equals_log(&names, &messages, &logged);

    // A durable consumer as the README shows it gets the account events, in order.
    let account_events: Vec<&Value> = logged.iter().filter(|e| e["streamType"] == "ACCOUNT").collect();
    let consumed = consume_account_events(&names, account_events.len()).await;
    assert_eq!(consumed.iter().collect::<Vec<_>>(), account_events);

    // The admin sees the relay among the readers of the log, at the head.
    let mut relay = Value::Null;
    for _ in 0..20 {
        let listed = gql(&http, &url, Some(&admin), "{ projections { name position head lag } }", json!({})).await;
        relay = listed["data"]["projections"]
            .as_array()
            .unwrap_or_else(|| panic!("{listed}"))
            .iter()
            .find(|p| p["name"] == "nats_relay")
            .cloned()
            .unwrap_or(Value::Null);
        if relay["lag"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(relay["lag"], 0, "{relay}");
    assert_eq!(relay["position"], logged.last().unwrap()["position"]);
    assert!(server.error_lines().is_empty(), "{:?}", server.error_lines());
    names.delete_stream().await;
}

/// The README's consumer: a durable pull consumer on the account events.
async fn consume_account_events(names: &Names, count: usize) -> Vec<Value> {
    use async_nats::jetstream::{self, consumer::pull};
    use futures::StreamExt;

    let js = jetstream::new(async_nats::connect(names.url.as_str()).await.unwrap());
    let stream = js.get_stream(&names.stream).await.unwrap();
    let config = pull::Config {
        durable_name: Some("accounting".into()),
        filter_subject: format!("{}.events.account.>", names.prefix),
        ..Default::default()
    };
    let consumer = stream.get_or_create_consumer("accounting", config).await.unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut events = Vec::new();
    while events.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("the consumer delivers")
            .expect("a message")
            .unwrap();
        events.push(serde_json::from_slice(&message.payload).unwrap());
        message.ack().await.unwrap();
    }
    events
}
