//! Identical live subscriptions share one evaluation on the server; what each
//! subscriber receives is still exactly what it may see.

use std::time::Duration;

use minibank::application::ports::TokenService;
use minibank::domain::value::Role;
use minibank::infrastructure::security::JwtTokens;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, TestApp, User, spawn_app};
use crate::ws_client::{LEGACY_WS, Received, TRANSPORT_WS, WsClient};

/// The same text for everyone: live events only, so it may be shared.
const LIVE: &str = "subscription { events { position type streamId } }";

async fn tab(app: &TestApp, token: &str, protocol: &str) -> WsClient {
    let mut ws = WsClient::connect(&app.server.addr, protocol, None).await;
    ws.init(json!({ "authToken": token })).await;
    ws.subscribe(protocol, "live", LIVE, json!({})).await;
    ws
}

fn position(event: &Value) -> i64 {
    event["position"].as_str().unwrap().parse().unwrap()
}

/// The events of `ws` up to and including `last`, or `None` if one does not
/// come within `wait`.
async fn events_until(ws: &mut WsClient, last: i64, wait: Duration) -> Option<Vec<Value>> {
    let mut events = Vec::new();
    loop {
        let event = tokio::time::timeout(wait, ws.next_data("live")).await.ok()?["events"].clone();
        let at = position(&event);
        events.push(event);
        if at >= last {
            return Some(events);
        }
    }
}

/// Deposits on `account` until every tab has received one: subscriptions
/// start asynchronously, and only events after their start are theirs.
async fn started(app: &TestApp, owner: &User, account: &str, tabs: &mut [&mut WsClient]) {
    let mut waiting: Vec<usize> = (0..tabs.len()).collect();
    for _ in 0..30 {
        let deposit = app.money(owner, "deposit", account, "1").await;
        let at = deposit["data"]["deposit"]["position"].as_str().unwrap().parse().unwrap();
        let mut still = Vec::new();
        for index in waiting {
            if events_until(tabs[index], at, Duration::from_secs(1)).await.is_none() {
                still.push(index);
            }
        }
        waiting = still;
        if waiting.is_empty() {
            return;
        }
    }
    panic!("subscriptions never started");
}

fn streams(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["streamId"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn identical_operations_deliver_to_each_subscriber_only_what_it_may_see() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let admin = app.admin().await;
    let (alice_account, _) = app.open_account(&alice).await;
    let (bob_account, _) = app.open_account(&bob).await;
    // Two tabs of Alice (one per protocol), one of Bob and one admin
    // dashboard, all with the same operation text.
    let mut alice_1 = tab(&app, &alice.token, TRANSPORT_WS).await;
    let mut alice_2 = tab(&app, &alice.token, LEGACY_WS).await;
    let mut bob_1 = tab(&app, &bob.token, TRANSPORT_WS).await;
    let mut dashboard = tab(&app, &admin.token, TRANSPORT_WS).await;
    started(&app, &alice, &alice_account, &mut [&mut alice_1, &mut alice_2, &mut dashboard]).await;
    started(&app, &bob, &bob_account, &mut [&mut bob_1, &mut dashboard]).await;

    let deposit = app.money(&alice, "deposit", &alice_account, "5").await;
    assert!(deposit.get("errors").is_none(), "{deposit}");
    app.money(&bob, "deposit", &bob_account, "6").await;
    // An account Alice opens after subscribing is hers to see at once.
    let (alice_later, _) = app.open_account(&alice).await;
    let last_of_alice = app.money(&alice, "deposit", &alice_later, "7").await;
    let last_of_alice: i64 = last_of_alice["data"]["deposit"]["position"].as_str().unwrap().parse().unwrap();
    let last = app.money(&bob, "deposit", &bob_account, "8").await;
    let last: i64 = last["data"]["deposit"]["position"].as_str().unwrap().parse().unwrap();

    let wait = Duration::from_secs(30);
    for alice_tab in [&mut alice_1, &mut alice_2] {
        let seen = events_until(alice_tab, last_of_alice, wait).await.unwrap();
        let seen = streams(&seen);
        assert!(!seen.contains(&bob_account.as_str()) && !seen.contains(&bob.id.as_str()), "{seen:?}");
        assert!(seen.contains(&alice_later.as_str()), "the new account's opening and deposit: {seen:?}");
    }
    let seen = events_until(&mut bob_1, last, wait).await.unwrap();
    let types: Vec<&str> = seen.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(streams(&seen).iter().all(|s| *s == bob_account), "Bob sees only his own: {seen:?}");
    assert_eq!(types.last(), Some(&"MoneyDeposited"));
    let seen = events_until(&mut dashboard, last, wait).await.unwrap();
    let seen = streams(&seen);
    for stream in [alice_account.as_str(), bob_account.as_str(), alice_later.as_str()] {
        assert!(seen.contains(&stream), "the admin sees everyone's: {seen:?}");
    }
    // After the last of Alice's events, her tabs get nothing of Bob's: their
    // next event is her own.
    app.money(&alice, "deposit", &alice_account, "9").await;
    for alice_tab in [&mut alice_1, &mut alice_2] {
        let next = alice_tab.next_data("live").await["events"].clone();
        assert_eq!(next["streamId"], alice_account.as_str(), "{next}");
    }
}

#[tokio::test]
async fn an_expiring_token_ends_its_own_tab_and_not_the_shared_evaluation() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let short = JwtTokens::new(JWT_SECRET.as_bytes(), chrono::Duration::seconds(3))
        .issue(alice.id.parse().unwrap(), Role::Customer)
        .unwrap();
    // The expiring tab subscribes first, so the shared evaluation starts for it.
    let mut expiring = tab(&app, &short.token, TRANSPORT_WS).await;
    let mut staying = tab(&app, &alice.token, TRANSPORT_WS).await;
    started(&app, &alice, &account, &mut [&mut expiring, &mut staying]).await;
    let closed = loop {
        match expiring.recv().await {
            Received::Message(message) => assert_eq!(message["type"], "next", "{message}"),
            Received::Closed(code, reason) => break (code, reason),
        }
    };
    assert_eq!(closed, (4403, "Token expired".to_string()));
    let deposit = app.money(&alice, "deposit", &account, "2").await;
    let at: i64 = deposit["data"]["deposit"]["position"].as_str().unwrap().parse().unwrap();
    let seen = events_until(&mut staying, at, Duration::from_secs(30)).await.unwrap();
    assert_eq!(position(seen.last().unwrap()), at);
}

#[tokio::test]
async fn an_account_others_share_updates_of_stays_refused_to_who_may_not_see_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let admin = app.admin().await;
    let (account, _) = app.open_account(&alice).await;
    let query = "subscription($id: ID!) { accountUpdated(id: $id) { balance version } }";
    let watch = |token: String| {
        let (app, account) = (&app, account.clone());
        async move {
            let mut ws = WsClient::connect(&app.server.addr, TRANSPORT_WS, None).await;
            ws.init(json!({ "authToken": token })).await;
            ws.subscribe(TRANSPORT_WS, "acc", query, json!({ "id": account })).await;
            ws
        }
    };
    let mut first = watch(alice.token.clone()).await;
    let mut second = watch(alice.token.clone()).await;
    let mut dashboard = watch(admin.token.clone()).await;
    // Alice's evaluation may already run; Bob's identical operation is still his own.
    let mut bob_ws = watch(bob.token.clone()).await;
    let refused = bob_ws.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "NOT_FOUND");
    // Each tab gets every change once it runs: deposit until all three have one.
    let mut version = 0;
    for _ in 0..30 {
        let deposit = app.money(&alice, "deposit", &account, "1").await;
        version = deposit["data"]["deposit"]["account"]["version"].as_i64().unwrap();
        let mut all = true;
        for ws in [&mut first, &mut second, &mut dashboard] {
            let got = tokio::time::timeout(Duration::from_secs(1), ws.next_data("acc")).await;
            all &= got.is_ok_and(|data| data["accountUpdated"]["version"] == version);
        }
        if all {
            break;
        }
    }
    app.money(&alice, "deposit", &account, "2").await;
    for ws in [&mut first, &mut second, &mut dashboard] {
        let update = ws.next_data("acc").await["accountUpdated"].clone();
        assert_eq!(update["version"], version + 1, "{update}");
    }
}
