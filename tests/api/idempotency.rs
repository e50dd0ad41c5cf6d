//! commandId: exactly-once effects for clients that retry.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{code, message, spawn_app};

const DEPOSIT: &str = "mutation($input: MoneyInput!) { deposit(input: $input) { position account { id } events { id type position data } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_repeats_have_one_effect_and_ten_identical_answers() {
    let app = Arc::new(spawn_app().await);
    let admin = app.admin().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let before = app.event_count(&admin).await;
    let command_id = uuid::Uuid::now_v7().to_string();
    let input = json!({ "input": { "accountId": account, "amount": "25", "commandId": command_id } });
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, token, input) = (app.clone(), alice.token.clone(), input.clone());
            tokio::spawn(async move { app.gql(Some(&token), DEPOSIT, input).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        assert!(answer.get("errors").is_none(), "{answer}");
        answers.push(answer["data"]["deposit"].clone());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "ten identical answers: {answers:?}");
    assert_eq!(answers[0]["events"].as_array().unwrap().len(), 1);
    assert_eq!(app.event_count(&admin).await, before + 1, "exactly one effect");
    assert_eq!(app.account(&alice, &account).await["balance"], "25.00");

    // Later, the same again: still the first result, still one effect.
    let again = app.ok(Some(&alice.token), DEPOSIT, input).await;
    assert_eq!(again["deposit"], answers[0]);
    assert_eq!(app.event_count(&admin).await, before + 1);
}

#[tokio::test]
async fn a_command_id_reused_with_other_input_or_by_someone_else_is_a_conflict() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let (account, _) = app.open_account(&alice).await;
    let command_id = uuid::Uuid::now_v7().to_string();
    app.ok(
        Some(&alice.token),
        DEPOSIT,
        json!({ "input": { "accountId": account, "amount": "10", "commandId": command_id } }),
    )
    .await;
    let before = app.event_count(&admin).await;
    let other_amount = app
        .gql(
            Some(&alice.token),
            DEPOSIT,
            json!({ "input": { "accountId": account, "amount": "11", "commandId": command_id } }),
        )
        .await;
    assert_eq!(code(&other_amount), Some("CONFLICT"));
    assert!(message(&other_amount).contains(&command_id), "{other_amount}");
    let withdraw = app
        .gql(
            Some(&alice.token),
            "mutation($input: MoneyInput!) { withdraw(input: $input) { position } }",
            json!({ "input": { "accountId": account, "amount": "10", "commandId": command_id } }),
        )
        .await;
    assert_eq!(code(&withdraw), Some("CONFLICT"), "another command with the same id");
    let (bobs, _) = app.open_account(&bob).await;
    let before_bob = app.event_count(&admin).await;
    let stolen = app
        .gql(
            Some(&bob.token),
            DEPOSIT,
            json!({ "input": { "accountId": bobs, "amount": "10", "commandId": command_id } }),
        )
        .await;
    assert_eq!(code(&stolen), Some("CONFLICT"), "another caller's id");
    assert_eq!(app.event_count(&admin).await, before_bob);
    assert_eq!(before_bob, before + 1, "only bob's account opening");
    assert_eq!(app.account(&alice, &account).await["balance"], "10.00");
}

#[tokio::test]
async fn every_mutation_with_a_command_id_is_idempotent() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let id = || uuid::Uuid::now_v7().to_string();

    let open = "mutation($input: OpenAccountInput!) { openAccount(input: $input) { account { id } position } }";
    let open_input = json!({ "input": { "commandId": id() } });
    let first = app.ok(Some(&alice.token), open, open_input.clone()).await;
    let second = app.ok(Some(&alice.token), open, open_input).await;
    assert_eq!(first, second, "the same account, not a second one");
    let account = first["openAccount"]["account"]["id"].as_str().unwrap().to_string();
    app.money(&alice, "deposit", &account, "50").await;
    let (to, _) = app.open_account(&bob).await;

    let transfer = "mutation($input: TransferInput!) { transfer(input: $input) { transfer { id status } } }";
    let transfer_input =
        json!({ "input": { "fromAccountId": account, "toAccountId": to, "amount": "20", "commandId": id() } });
    let t1 = app.ok(Some(&alice.token), transfer, transfer_input.clone()).await;
    let t2 = app.ok(Some(&alice.token), transfer, transfer_input).await;
    assert_eq!(t1["transfer"]["transfer"]["id"], t2["transfer"]["transfer"]["id"]);
    assert_eq!(app.settled(&alice, t1["transfer"]["transfer"]["id"].as_str().unwrap()).await["status"], "COMPLETED");
    assert_eq!(app.account(&alice, &account).await["balance"], "30.00", "debited once");

    let withdraw = json!({ "input": { "accountId": account, "amount": "5", "commandId": id() } });
    let query = "mutation($input: MoneyInput!) { withdraw(input: $input) { position } }";
    assert_eq!(
        app.ok(Some(&alice.token), query, withdraw.clone()).await,
        app.ok(Some(&alice.token), query, withdraw).await
    );
    assert_eq!(app.account(&alice, &account).await["balance"], "25.00");

    let limit = "mutation($input: ChangeOverdraftLimitInput!) { changeOverdraftLimit(input: $input) { position } }";
    let limit_input = json!({ "input": { "accountId": account, "limit": "100", "commandId": id() } });
    let l1: Value = app.ok(Some(&admin.token), limit, limit_input.clone()).await;
    assert_eq!(l1, app.ok(Some(&admin.token), limit, limit_input).await);

    let (empty, _) = app.open_account(&alice).await;
    let close = "mutation($input: CloseAccountInput!) { closeAccount(input: $input) { position account { status } } }";
    let close_input = json!({ "input": { "accountId": empty, "commandId": id() } });
    let c1 = app.ok(Some(&alice.token), close, close_input.clone()).await;
    assert_eq!(c1, app.ok(Some(&alice.token), close, close_input).await, "a repeat, not ACCOUNT_CLOSED");
}
