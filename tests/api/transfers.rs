//! Money transfers: the happy path, refusals, the refund path, authorization,
//! conservation under concurrency, and correlation/causation metadata.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, code, spawn_app};

async fn funded(app: &TestApp, user: &User, amount: &str) -> String {
    let (account, _) = app.open_account(user).await;
    let response = app.money(user, "deposit", &account, amount).await;
    assert!(response.get("errors").is_none(), "{response}");
    account
}

fn balance(account: &Value) -> f64 {
    account["balance"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_transfer_moves_money_between_customers_and_completes() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let from = funded(&app, &alice, "100").await;
    let (to, to_number) = app.open_account(&bob).await;

    let response = app.transfer(&alice, &from, &to, "30.25").await;
    let payload = &response["data"]["transfer"];
    assert!(response.get("errors").is_none(), "{response}");
    let transfer_id = payload["transfer"]["id"].as_str().unwrap().to_string();
    let settled = app.settled(&alice, &transfer_id).await;
    assert_eq!(settled["status"], "COMPLETED");
    assert!(settled["completedAt"].is_string());
    assert_eq!(payload["transfer"]["to"]["number"], to_number.as_str());
    assert_eq!(app.account(&alice, &from).await["balance"], "69.75");
    assert_eq!(app.account(&bob, &to).await["balance"], "30.25");

    let history = "query($id: ID!) { account(id: $id) { transactions(first: 5) { nodes { kind amount transferId balanceAfter } } } }";
    let out = app.ok(Some(&alice.token), history, json!({ "id": from })).await;
    assert_eq!(
        out["account"]["transactions"]["nodes"][0],
        json!({ "kind": "TRANSFER_OUT", "amount": "30.25", "transferId": transfer_id, "balanceAfter": "69.75" })
    );
    let into = app.ok(Some(&bob.token), history, json!({ "id": to })).await;
    assert_eq!(
        into["account"]["transactions"]["nodes"][0],
        json!({ "kind": "TRANSFER_IN", "amount": "30.25", "transferId": transfer_id, "balanceAfter": "30.25" })
    );

    // Both parties see the transfer; the sender sees the other side's face only.
    let seen_by_bob = app
        .ok(
            Some(&bob.token),
            "query($id: ID!) { transfer(id: $id) { status from { number } } }",
            json!({ "id": transfer_id }),
        )
        .await;
    assert_eq!(seen_by_bob["transfer"]["status"], "COMPLETED");
    let prying = app
        .gql(
            Some(&alice.token),
            "query($id: ID!) { transfer(id: $id) { to { balance } } }",
            json!({ "id": transfer_id }),
        )
        .await;
    assert_eq!(code(&prying), Some("FORBIDDEN"), "{prying}");
    let carol = app.register("carol").await;
    let outsider =
        app.ok(Some(&carol.token), "query($id: ID!) { transfer(id: $id) { id } }", json!({ "id": transfer_id })).await;
    assert_eq!(outsider["transfer"], Value::Null);
}

#[tokio::test]
async fn insufficient_funds_and_bad_destinations_refuse_with_nothing_written() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app.register("alice").await;
    let from = funded(&app, &alice, "10").await;
    let (to, _) = app.open_account(&alice).await;
    let before = app.event_count(&admin).await;

    assert_eq!(code(&app.transfer(&alice, &from, &to, "10.01").await), Some("INSUFFICIENT_FUNDS"));
    assert_eq!(code(&app.transfer(&alice, &from, &from, "1").await), Some("BAD_USER_INPUT"));
    assert_eq!(code(&app.transfer(&alice, &from, &uuid::Uuid::now_v7().to_string(), "1").await), Some("NOT_FOUND"));
    assert_eq!(code(&app.transfer(&alice, &from, &to, "0").await), Some("BAD_USER_INPUT"));
    let usd = app
        .ok(
            Some(&admin.token),
            "mutation($o: ID!) { openAccount(input: { ownerId: $o, currency: \"USD\" }) { account { id } } }",
            json!({ "o": alice.id }),
        )
        .await["openAccount"]["account"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before_usd = app.event_count(&admin).await;
    assert_eq!(code(&app.transfer(&alice, &from, &usd, "1").await), Some("CURRENCY_MISMATCH"));
    let close = "mutation($id: ID!) { closeAccount(input: { accountId: $id }) { account { status } } }";
    app.ok(Some(&alice.token), close, json!({ "id": to })).await;
    let after_close = app.event_count(&admin).await;
    assert_eq!(code(&app.transfer(&alice, &from, &to, "1").await), Some("ACCOUNT_CLOSED"));
    assert_eq!(app.event_count(&admin).await, after_close, "refusals wrote nothing");
    assert_eq!(before_usd, before + 1, "only the USD account's opening");
    assert_eq!(app.account(&alice, &from).await["balance"], "10.00");
}

#[tokio::test]
async fn only_the_owner_of_the_source_or_an_admin_may_transfer() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let admin = app.admin().await;
    let from = funded(&app, &alice, "50").await;
    let (to, _) = app.open_account(&bob).await;
    let anonymous = app
        .gql(
            None,
            "mutation($i: TransferInput!) { transfer(input: $i) { transfer { id } } }",
            json!({ "i": { "fromAccountId": from, "toAccountId": to, "amount": "1" } }),
        )
        .await;
    assert_eq!(code(&anonymous), Some("UNAUTHENTICATED"));
    assert_eq!(code(&app.transfer(&bob, &from, &to, "1").await), Some("NOT_FOUND"), "bob cannot spend alice's money");
    let by_admin = app.transfer(&admin, &from, &to, "5").await;
    assert!(by_admin.get("errors").is_none(), "{by_admin}");
    let id = by_admin["data"]["transfer"]["transfer"]["id"].as_str().unwrap().to_string();
    assert_eq!(app.settled(&admin, &id).await["status"], "COMPLETED");
}

#[tokio::test]
async fn a_destination_closed_between_request_and_credit_refunds_the_source() {
    let app = spawn_app_paused().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let from = funded(&app, &alice, "40").await;
    let (to, _) = app.open_account(&bob).await;
    let requested = app.transfer(&alice, &from, &to, "15").await;
    let id = requested["data"]["transfer"]["transfer"]["id"].as_str().unwrap().to_string();
    assert_eq!(requested["data"]["transfer"]["transfer"]["status"], "PENDING", "nobody settles yet");
    assert_eq!(app.account(&alice, &from).await["balance"], "25.00", "debited at once");
    let blocked = app
        .gql(
            Some(&alice.token),
            "mutation($id: ID!) { closeAccount(input: { accountId: $id }) { account { id } } }",
            json!({ "id": from }),
        )
        .await;
    assert!(code(&blocked).is_some(), "the source cannot close with money in flight");
    app.ok(
        Some(&bob.token),
        "mutation($id: ID!) { closeAccount(input: { accountId: $id }) { account { status } } }",
        json!({ "id": to }),
    )
    .await;

    // Another instance (with the process manager) picks the transfer up from the log.
    let _settler = app.another_server(|_| {}).await;
    let settled = app.settled(&alice, &id).await;
    assert_eq!(settled["status"], "FAILED");
    assert_eq!(settled["failureReason"], "ACCOUNT_CLOSED");
    assert_eq!(app.account(&alice, &from).await["balance"], "40.00", "refunded in full");
    let kinds = app
        .ok(
            Some(&alice.token),
            "query($id: ID!) { account(id: $id) { transactions { nodes { kind amount transferId } } } }",
            json!({ "id": from }),
        )
        .await;
    assert_eq!(
        kinds["account"]["transactions"]["nodes"][0],
        json!({ "kind": "TRANSFER_REFUND", "amount": "15.00", "transferId": id })
    );
    assert_eq!(app.account(&bob, &to).await["balance"], "0.00");
}

async fn spawn_app_paused() -> TestApp {
    crate::helpers::spawn_app_with(|settings| settings.process_transfers = false).await
}

#[tokio::test]
async fn every_event_of_a_transfer_shares_its_correlation_and_causation_chains_back_to_the_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let from = funded(&app, &alice, "20").await;
    let (to, _) = app.open_account(&bob).await;
    let response = app.transfer(&alice, &from, &to, "5").await;
    let id = response["data"]["transfer"]["transfer"]["id"].as_str().unwrap().to_string();
    app.settled(&alice, &id).await;
    let correlation =
        response["data"]["transfer"]["events"][0]["metadata"]["correlationId"].as_str().unwrap().to_string();
    let all = app
        .ok(Some(&admin.token), "{ events(first: 100) { nodes { id type streamId metadata { correlationId causationId commandId actorId } } } }", json!({}))
        .await;
    let chain: Vec<&Value> = all["events"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["metadata"]["correlationId"] == correlation.as_str())
        .collect();
    let types: Vec<&str> = chain.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["TransferRequested", "TransferDebited", "TransferCredited", "TransferSettled", "TransferCompleted"]
    );
    let requested = chain[0];
    let command_id = requested["metadata"]["commandId"].as_str().unwrap();
    assert_eq!(requested["metadata"]["causationId"], command_id, "the request caused by the command");
    assert_eq!(chain[1]["metadata"]["causationId"], command_id);
    assert_eq!(requested["metadata"]["actorId"], alice.id.as_str());
    for settled in &chain[2..] {
        assert_eq!(
            settled["metadata"]["causationId"], requested["id"],
            "settled because of TransferRequested: {settled}"
        );
        assert_eq!(settled["metadata"]["actorId"], Value::Null, "recorded by the system");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn money_is_conserved_under_concurrent_transfers_around_a_ring() {
    let app = Arc::new(spawn_app().await);
    let admin = app.admin().await;
    let alice = app.register("alice").await;
    let mut ring = Vec::new();
    for _ in 0..10 {
        ring.push(funded(&app, &alice, "100").await);
    }
    let ring = Arc::new(ring);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (app, alice, ring) = (app.clone(), alice.clone(), ring.clone());
        tasks.push(tokio::spawn(async move {
            let (from, to) = (&ring[i % 10], &ring[(i + 1) % 10]);
            let response = app.transfer(&alice, from, to, &format!("{}", 1 + (i * 7) % 40)).await;
            match code(&response) {
                None => Some(response["data"]["transfer"]["transfer"]["id"].as_str().unwrap().to_string()),
                Some("INSUFFICIENT_FUNDS") => None,
                other => panic!("unexpected {other:?}: {response}"),
            }
        }));
    }
    let mut moved = 0.0;
    for i in 0..40 {
        let (app, alice, ring) = (app.clone(), alice.clone(), ring.clone());
        let operation = if i % 2 == 0 { "deposit" } else { "withdraw" };
        let response = app.money(&alice, operation, &ring[i % 10], "3").await;
        match code(&response) {
            None => moved += if operation == "deposit" { 3.0 } else { -3.0 },
            Some("INSUFFICIENT_FUNDS") => {}
            other => panic!("unexpected {other:?}: {response}"),
        }
    }
    let mut transfers = Vec::new();
    for task in tasks {
        transfers.extend(task.await.unwrap());
    }
    assert!(!transfers.is_empty());
    for id in &transfers {
        let settled = app.settled(&admin, id).await;
        assert!(settled["status"] == "COMPLETED" || settled["status"] == "FAILED", "{settled}");
    }
    let mut total = 0.0;
    for account in ring.iter() {
        let read_model = app.account(&admin, account).await;
        let replayed = app
            .ok(
                Some(&admin.token),
                "query($id: ID!) { accountAt(id: $id) { balance version } }",
                json!({ "id": account }),
            )
            .await;
        assert_eq!(read_model["balance"], replayed["accountAt"]["balance"], "read model = replay");
        assert_eq!(read_model["version"], replayed["accountAt"]["version"]);
        assert!(balance(&read_model) >= 0.0, "never below -overdraftLimit (0): {read_model}");
        total += balance(&read_model);
    }
    assert!((total - (1000.0 + moved)).abs() < 1e-6, "money conserved: {total} vs {}", 1000.0 + moved);
}
