//! The README's walk-through, step by step.

use serde_json::json;

use crate::helpers::{code, spawn_app};

#[tokio::test]
async fn the_readme_walkthrough_works_end_to_end() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let me = app.ok(Some(&alice.token), "{ me { id username email role version } }", json!({})).await;
    assert_eq!(me["me"]["username"], "alice");
    assert_eq!(me["me"]["role"], "CUSTOMER");
    assert_eq!(me["me"]["version"], 1);

    let opened = app
        .ok(
            Some(&alice.token),
            r#"mutation { openAccount(input: { currency: "EUR" }) {
                account { id number currency balance overdraftLimit availableBalance status version owner { username } }
                events { type version streamType data } position } }"#,
            json!({}),
        )
        .await;
    let account = &opened["openAccount"]["account"];
    let account_id = account["id"].as_str().unwrap().to_string();
    assert_eq!(account["balance"], "0.00");
    assert_eq!(account["status"], "OPEN");
    assert_eq!(account["version"], 1);
    assert_eq!(account["owner"]["username"], "alice");
    assert!(account["number"].as_str().unwrap().starts_with("MB"));
    assert_eq!(opened["openAccount"]["events"][0]["type"], "AccountOpened");
    assert_eq!(opened["openAccount"]["events"][0]["streamType"], "ACCOUNT");

    let deposited = app.money(&alice, "deposit", &account_id, "100").await;
    assert_eq!(deposited["data"]["deposit"]["account"]["balance"], "100.00");
    assert_eq!(deposited["data"]["deposit"]["account"]["version"], 2);
    assert_eq!(deposited["data"]["deposit"]["events"][0]["type"], "MoneyDeposited");
    let deposit_position: i64 = deposited["data"]["deposit"]["position"].as_str().unwrap().parse().unwrap();

    let withdrawn = app.money(&alice, "withdraw", &account_id, "30.50").await;
    assert_eq!(withdrawn["data"]["withdraw"]["account"]["balance"], "69.50");
    let withdraw_position: i64 = withdrawn["data"]["withdraw"]["position"].as_str().unwrap().parse().unwrap();
    assert!(withdraw_position > deposit_position);

    let overdrawn = app.money(&alice, "withdraw", &account_id, "1000").await;
    assert_eq!(code(&overdrawn), Some("INSUFFICIENT_FUNDS"));
    assert_eq!(app.account(&alice, &account_id).await["balance"], "69.50");

    let history = app
        .ok(
            Some(&alice.token),
            "query($id: ID!) { account(id: $id) { transactions(first: 10) { totalCount nodes { kind amount balanceAfter version position } } } }",
            json!({ "id": account_id }),
        )
        .await;
    let transactions = &history["account"]["transactions"];
    assert_eq!(transactions["totalCount"], 2);
    assert_eq!(transactions["nodes"][0]["kind"], "WITHDRAWAL");
    assert_eq!(transactions["nodes"][0]["amount"], "30.50");
    assert_eq!(transactions["nodes"][0]["balanceAfter"], "69.50");
    assert_eq!(transactions["nodes"][1]["kind"], "DEPOSIT");
    assert_eq!(transactions["nodes"][1]["balanceAfter"], "100.00");
    assert_eq!(transactions["nodes"][1]["position"], deposit_position.to_string());

    let at_version_2 = app
        .ok(
            Some(&alice.token),
            "query($id: ID!) { v1: accountAt(id: $id, version: 1) { balance version } v2: accountAt(id: $id, version: 2) { balance version asOf } now: accountAt(id: $id) { balance version } }",
            json!({ "id": account_id }),
        )
        .await;
    assert_eq!(at_version_2["v1"]["balance"], "0.00");
    assert_eq!(at_version_2["v2"]["balance"], "100.00");
    assert_eq!(at_version_2["now"]["balance"], "69.50");
    assert_eq!(at_version_2["now"]["version"], 3);

    let as_of = at_version_2["v2"]["asOf"].as_str().unwrap().to_string();
    let at_instant = app
        .ok(
            Some(&alice.token),
            "query($id: ID!, $at: DateTime!) { accountAt(id: $id, at: $at) { balance version } }",
            json!({ "id": account_id, "at": as_of }),
        )
        .await;
    assert_eq!(at_instant["accountAt"]["version"], 2);
    assert_eq!(at_instant["accountAt"]["balance"], "100.00");

    let events = app
        .ok(
            Some(&alice.token),
            "{ events(first: 10) { totalCount nodes { type position data metadata { correlationId commandId actorId } } } }",
            json!({}),
        )
        .await;
    let types: Vec<&str> =
        events["events"]["nodes"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ClientRegistered", "AccountOpened", "MoneyDeposited", "MoneyWithdrawn"]);
    let registered = &events["events"]["nodes"][0];
    assert!(registered["data"].get("passwordHash").is_none(), "password hashes never leave the server");
    assert_eq!(registered["data"]["username"], "alice");
    assert_eq!(events["events"]["nodes"][2]["metadata"]["actorId"], alice.id.as_str());
}

#[tokio::test]
async fn graphiql_is_served_and_the_root_redirects_to_it() {
    let app = spawn_app().await;
    let page = app.http.get(&app.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page expected");
    let root = format!("http://{}/", app.server.addr);
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = no_redirects.get(root).send().await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/graphql");
}

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.server.addr);
    assert_eq!(app.http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.http.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);
    let response = app.http.get(format!("{base}/healthz")).send().await.unwrap();
    assert!(response.headers().contains_key("x-request-id"), "every response carries a request id");
}

#[tokio::test]
async fn pagination_walks_every_item_once_with_cursors() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account_id, _) = app.open_account(&alice).await;
    for i in 1..=7 {
        let response = app.money(&alice, "deposit", &account_id, &format!("{i}")).await;
        assert!(response.get("errors").is_none(), "{response}");
    }
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let data = app
            .ok(
                Some(&alice.token),
                "query($id: ID!, $after: String) { account(id: $id) { transactions(first: 3, after: $after) { totalCount edges { cursor node { amount } } pageInfo { hasNextPage endCursor } } } }",
                json!({ "id": account_id, "after": after }),
            )
            .await;
        let connection = &data["account"]["transactions"];
        assert_eq!(connection["totalCount"], 7);
        for edge in connection["edges"].as_array().unwrap() {
            seen.push(edge["node"]["amount"].as_str().unwrap().to_string());
        }
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].as_str().map(String::from);
    }
    assert_eq!(seen, ["7.00", "6.00", "5.00", "4.00", "3.00", "2.00", "1.00"]);

    let capped = app
        .ok(
            Some(&alice.token),
            "query($id: ID!) { account(id: $id) { events(first: 1000) { totalCount nodes { version } } } }",
            json!({ "id": account_id }),
        )
        .await;
    assert_eq!(capped["account"]["events"]["totalCount"], 8);
    assert_eq!(capped["account"]["events"]["nodes"].as_array().unwrap().len(), 8);
}
