//! Subscriptions over real websockets, both subprotocols.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, spawn_app};
use crate::ws_client::{LEGACY_WS, Received, TRANSPORT_WS, WsClient};

const EVENTS: &str = "subscription($after: Position, $filter: EventFilter) { events(after: $after, filter: $filter) { position type streamId streamType version data } }";

async fn connected(app: &TestApp, user: &User, protocol: &str) -> WsClient {
    let mut ws = WsClient::connect(&app.server.addr, protocol, None).await;
    ws.init(json!({ "authToken": user.token })).await;
    ws
}

/// Reads `count` events of subscription `id`.
async fn events(ws: &mut WsClient, id: &str, count: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < count {
        out.push(ws.next_data(id).await["events"].clone());
    }
    out
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn position(event: &Value) -> i64 {
    event["position"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn catch_up_then_live_on_both_subprotocols() {
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let app = spawn_app().await;
        let alice = app.register("alice").await;
        let (account, _) = app.open_account(&alice).await;
        app.money(&alice, "deposit", &account, "10").await;
        let mut ws = connected(&app, &alice, protocol).await;
        ws.subscribe(protocol, "1", EVENTS, json!({ "after": "0" })).await;
        let caught_up = events(&mut ws, "1", 3).await;
        assert_eq!(types(&caught_up), ["ClientRegistered", "AccountOpened", "MoneyDeposited"], "{protocol}");
        assert!(caught_up[0]["data"].get("passwordHash").is_none());
        app.money(&alice, "withdraw", &account, "4").await;
        let live = events(&mut ws, "1", 1).await;
        assert_eq!(live[0]["type"], "MoneyWithdrawn");
        assert_eq!(live[0]["data"]["amount"], "4.00");
        assert_eq!(position(&live[0]), position(&caught_up[2]) + 1);
        ws.close().await;
    }
}

#[tokio::test]
async fn without_after_only_live_events_and_failed_commands_deliver_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let mut ws = connected(&app, &alice, TRANSPORT_WS).await;
    ws.subscribe(TRANSPORT_WS, "live", EVENTS, json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let refused = app.money(&alice, "withdraw", &account, "5").await;
    assert!(refused.get("errors").is_some());
    app.money(&alice, "deposit", &account, "7").await;
    let next = events(&mut ws, "live", 1).await;
    assert_eq!(next[0]["type"], "MoneyDeposited", "the refused withdrawal delivered nothing");
    assert_eq!(next[0]["data"]["amount"], "7.00");
}

#[tokio::test]
async fn the_token_is_read_from_every_usual_place() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bearer = format!("Bearer {}", alice.token);
    let payloads = [
        json!({ "authToken": alice.token }),
        json!({ "Authorization": bearer }),
        json!({ "authorization": bearer }),
        json!({ "token": alice.token }),
        json!({ "headers": { "Authorization": bearer } }),
    ];
    for payload in payloads {
        let mut ws = WsClient::connect(&app.server.addr, TRANSPORT_WS, None).await;
        ws.init(payload.clone()).await;
        ws.subscribe(TRANSPORT_WS, "1", EVENTS, json!({ "after": "0" })).await;
        assert_eq!(events(&mut ws, "1", 1).await[0]["type"], "ClientRegistered", "{payload}");
        ws.close().await;
    }
    let mut ws = WsClient::connect(&app.server.addr, TRANSPORT_WS, Some(&bearer)).await;
    ws.init(json!({})).await;
    ws.subscribe(TRANSPORT_WS, "1", EVENTS, json!({ "after": "0" })).await;
    assert_eq!(events(&mut ws, "1", 1).await[0]["type"], "ClientRegistered", "upgrade header");
}

#[tokio::test]
async fn bad_tokens_and_protocol_violations_get_the_protocol_close_codes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let mut ws = WsClient::connect(&app.server.addr, TRANSPORT_WS, None).await;
    ws.send(json!({ "type": "connection_init", "payload": { "authToken": "forged" } })).await;
    assert!(matches!(ws.recv().await, Received::Closed(4403, _)));

    let mut ws = WsClient::connect(&app.server.addr, LEGACY_WS, None).await;
    ws.send(json!({ "type": "connection_init", "payload": { "authToken": "forged" } })).await;
    assert_eq!(ws.message().await["type"], "connection_error");

    let mut ws = WsClient::connect(&app.server.addr, TRANSPORT_WS, None).await;
    ws.subscribe(TRANSPORT_WS, "1", EVENTS, json!({})).await;
    assert!(matches!(ws.recv().await, Received::Closed(4401, _)), "subscribe before init");

    let mut ws = connected(&app, &alice, TRANSPORT_WS).await;
    ws.subscribe(TRANSPORT_WS, "dup", EVENTS, json!({})).await;
    ws.subscribe(TRANSPORT_WS, "dup", EVENTS, json!({})).await;
    assert!(matches!(ws.recv().await, Received::Closed(4409, _)), "duplicate id");

    let mut ws = WsClient::connect(&app.server.addr, TRANSPORT_WS, None).await;
    ws.init(json!({})).await;
    ws.subscribe(TRANSPORT_WS, "anon", EVENTS, json!({})).await;
    let refused = ws.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn at_most_32_subscriptions_per_connection() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = connected(&app, &alice, TRANSPORT_WS).await;
    for i in 0..32 {
        ws.subscribe(TRANSPORT_WS, &format!("s{i}"), EVENTS, json!({})).await;
    }
    ws.subscribe(TRANSPORT_WS, "s32", EVENTS, json!({})).await;
    let refused = ws.message().await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["id"], "s32");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
}

#[tokio::test]
async fn filters_and_authorization_apply_on_the_server() {
    let app = spawn_app().await;
    let a = app.register("customer_a").await;
    let b = app.register("customer_b").await;
    let admin = app.admin().await;
    let (account_a, _) = app.open_account(&a).await;

    let mut ws_b = connected(&app, &b, TRANSPORT_WS).await;
    ws_b.subscribe(TRANSPORT_WS, "all", EVENTS, json!({ "after": "0" })).await;
    ws_b.subscribe(TRANSPORT_WS, "spy", EVENTS, json!({ "after": "0", "filter": { "streamIds": [account_a] } })).await;
    let mut ws_a = connected(&app, &a, TRANSPORT_WS).await;
    ws_a.subscribe(
        TRANSPORT_WS,
        "withdrawals",
        EVENTS,
        json!({ "after": "0", "filter": { "types": ["MoneyWithdrawn"] } }),
    )
    .await;
    ws_a.subscribe(TRANSPORT_WS, "accounts", EVENTS, json!({ "after": "0", "filter": { "streamTypes": ["ACCOUNT"] } }))
        .await;
    let mut ws_admin = connected(&app, &admin, TRANSPORT_WS).await;
    ws_admin.subscribe(TRANSPORT_WS, "all", EVENTS, json!({ "after": "0" })).await;

    app.money(&a, "deposit", &account_a, "20").await;
    app.money(&a, "withdraw", &account_a, "5").await;
    // A second account opened after the subscription started is A's too.
    let (account_a2, _) = app.open_account(&a).await;
    app.money(&a, "deposit", &account_a2, "1").await;
    let (account_b, _) = app.open_account(&b).await;

    let admin_sees = events(&mut ws_admin, "all", 9).await;
    assert_eq!(admin_sees.len(), 9, "3 registrations, 3 openings, 3 movements");
    let withdrawals = events(&mut ws_a, "withdrawals", 1).await;
    assert_eq!(types(&withdrawals), ["MoneyWithdrawn"]);
    let accounts = events(&mut ws_a, "accounts", 5).await;
    assert!(accounts.iter().all(|e| e["streamType"] == "ACCOUNT" && e["streamId"] != account_b.as_str()));
    assert_eq!(
        types(&accounts),
        ["AccountOpened", "MoneyDeposited", "MoneyWithdrawn", "AccountOpened", "MoneyDeposited"]
    );
    let b_sees = events(&mut ws_b, "all", 2).await;
    assert_eq!(types(&b_sees), ["ClientRegistered", "AccountOpened"], "B sees only its own");
    assert_eq!(b_sees[1]["streamId"], account_b.as_str());
    // B's spying subscription saw nothing of A's: the next thing B gets is its own live event.
    app.money(&b, "deposit", &account_b, "3").await;
    let next_for_b = ws_b.message().await;
    assert_eq!(next_for_b["id"], "all", "{next_for_b}");
    assert_eq!(next_for_b["payload"]["data"]["events"]["streamId"], account_b.as_str());

    ws_b.subscribe(
        TRANSPORT_WS,
        "theirs",
        "subscription($id: ID!) { accountUpdated(id: $id) { balance } }",
        json!({ "id": account_a }),
    )
    .await;
    let refused = ws_b.message().await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn account_updated_streams_the_read_model_after_each_change() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let mut ws = connected(&app, &alice, TRANSPORT_WS).await;
    ws.subscribe(
        TRANSPORT_WS,
        "acc",
        "subscription($id: ID!) { accountUpdated(id: $id) { id balance version availableBalance status } }",
        json!({ "id": account }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // A burst the subscriber reads only afterwards: each change still yields
    // exactly the state it produced.
    for (operation, amount) in [("deposit", "10"), ("deposit", "2.50"), ("withdraw", "1.25")] {
        let response = app.money(&alice, operation, &account, amount).await;
        assert!(response.get("errors").is_none(), "{response}");
    }
    let mut updates = Vec::new();
    for _ in 0..3 {
        updates.push(ws.next_data("acc").await["accountUpdated"].clone());
    }
    let versions: Vec<i64> = updates.iter().map(|u| u["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [2, 3, 4], "one update per change, in order");
    let last = app.account(&alice, &account).await;
    assert_eq!(updates[2]["balance"], last["balance"], "the last update is the read model");
    assert_eq!(updates[2]["balance"], "11.25");
    let (other, _) = app.open_account(&alice).await;
    app.money(&alice, "deposit", &other, "99").await;
    app.money(&alice, "deposit", &account, "1").await;
    let update = ws.next_data("acc").await["accountUpdated"].clone();
    assert_eq!(update["balance"], "12.25", "changes to other accounts do not show up");
    assert_eq!(update["version"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gap_free_under_eight_writers_with_three_subscribers_and_a_resume() {
    let app = Arc::new(spawn_app().await);
    let admin = app.admin().await;
    let owner = app.register("owner").await;
    let mut accounts = Vec::new();
    for _ in 0..8 {
        accounts.push(app.open_account(&owner).await.0);
    }
    const DEPOSITS: usize = 200;
    let before = app.event_count(&admin).await as usize;
    let total = before + 8 * DEPOSITS;

    let mut subscribers = Vec::new();
    for _ in 0..3 {
        let mut ws = connected(&app, &admin, TRANSPORT_WS).await;
        ws.subscribe(TRANSPORT_WS, "all", EVENTS, json!({ "after": "0" })).await;
        subscribers.push(tokio::spawn(async move {
            let mut positions = Vec::new();
            while positions.len() < total {
                positions.push(position(&ws.next_data("all").await["events"]));
            }
            positions
        }));
    }
    // One more subscriber that drops mid-stream and resumes from its last position.
    let resumer = {
        let (app, admin) = (app.clone(), admin.clone());
        tokio::spawn(async move {
            let mut ws = connected(&app, &admin, TRANSPORT_WS).await;
            ws.subscribe(TRANSPORT_WS, "all", EVENTS, json!({ "after": "0" })).await;
            let mut positions = Vec::new();
            while positions.len() < total / 2 {
                positions.push(position(&ws.next_data("all").await["events"]));
            }
            ws.close().await;
            let last = *positions.last().unwrap();
            let mut ws = connected(&app, &admin, LEGACY_WS).await;
            ws.subscribe(LEGACY_WS, "again", EVENTS, json!({ "after": last.to_string() })).await;
            while positions.len() < total {
                positions.push(position(&ws.next_data("again").await["events"]));
            }
            positions
        })
    };

    let writers: Vec<_> = accounts
        .iter()
        .map(|account| {
            let (app, owner, account) = (app.clone(), owner.clone(), account.clone());
            tokio::spawn(async move {
                for _ in 0..DEPOSITS {
                    let response = app.money(&owner, "deposit", &account, "1").await;
                    assert!(response.get("errors").is_none(), "{response}");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let all = app.ok(Some(&admin.token), "{ events(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(all["events"]["totalCount"], total);
    let store = &app.server.ctx.store;
    let log = store.read_all(0, u64::MAX, &Default::default()).await.unwrap();
    let expected: Vec<i64> = log.iter().map(|e| e.position).collect();
    for subscriber in subscribers {
        assert_eq!(subscriber.await.unwrap(), expected, "every event exactly once, in position order");
    }
    assert_eq!(resumer.await.unwrap(), expected, "disconnect and resume loses and repeats nothing");
}
