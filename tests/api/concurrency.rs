//! Races through the real server.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::{PASSWORD, code, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_withdrawals_never_overdraw() {
    let app = Arc::new(spawn_app().await);
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    app.money(&alice, "deposit", &account, "200").await;

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (app, alice, account) = (app.clone(), alice.clone(), account.clone());
            tokio::spawn(async move { app.money(&alice, "withdraw", &account, "10").await })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match code(&response) {
            None => succeeded += 1,
            Some("INSUFFICIENT_FUNDS") => {}
            other => panic!("unexpected outcome {other:?}: {response}"),
        }
    }
    assert_eq!(succeeded, 20, "exactly the covered withdrawals succeed");

    let read_model = app.account(&alice, &account).await;
    assert_eq!(read_model["balance"], "0.00");
    assert_eq!(read_model["version"], 22);
    assert_eq!(read_model["transactions"]["totalCount"], 21);
    let replayed = app
        .ok(Some(&alice.token), "query($id: ID!) { accountAt(id: $id) { balance version } }", json!({ "id": account }))
        .await;
    assert_eq!(replayed["accountAt"]["balance"], read_model["balance"], "read model equals the replayed events");
    assert_eq!(replayed["accountAt"]["version"], read_model["version"]);
    let history = app
        .ok(
            Some(&alice.token),
            "query($id: ID!) { account(id: $id) { transactions(first: 100) { nodes { balanceAfter } } } }",
            json!({ "id": account }),
        )
        .await;
    for node in history["account"]["transactions"]["nodes"].as_array().unwrap() {
        let balance: f64 = node["balanceAfter"].as_str().unwrap().parse().unwrap();
        assert!(balance >= 0.0, "never below zero: {node}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_registrations_with_one_email_let_exactly_one_in() {
    let app = Arc::new(spawn_app().await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.gql(
                    None,
                    "mutation($input: RegisterClientInput!) { registerClient(input: $input) { client { id } } }",
                    json!({ "input": {
                        "username": format!("user{i}"), "email": if i % 2 == 0 { "Same@Example.com" } else { "same@example.com" },
                        "password": PASSWORD, "firstName": "Same", "lastName": "Person"
                    }}),
                )
                .await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(code(&task.await.unwrap()).map(String::from));
    }
    assert_eq!(codes.iter().filter(|c| c.is_none()).count(), 1, "{codes:?}");
    assert!(codes.iter().flatten().all(|c| c == "ALREADY_EXISTS"), "{codes:?}");
    let admin = app.admin().await;
    let clients = app.ok(Some(&admin.token), "{ clients { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 2);
}
