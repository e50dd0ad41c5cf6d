//! Every business rule, over HTTP: the right code, and nothing written.

use serde_json::json;

use crate::helpers::{PASSWORD, code, message, spawn_app};

#[tokio::test]
async fn the_balance_never_goes_below_minus_the_overdraft_limit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app.register("alice").await;
    let opened = app
        .ok(
            Some(&admin.token),
            "mutation($owner: ID!) { openAccount(input: { ownerId: $owner, overdraftLimit: \"50\" }) { account { id availableBalance } } }",
            json!({ "owner": alice.id }),
        )
        .await;
    let account = opened["openAccount"]["account"]["id"].as_str().unwrap().to_string();
    assert_eq!(opened["openAccount"]["account"]["availableBalance"], "50.00");
    let refused = app.money(&alice, "withdraw", &account, "50.01").await;
    assert_eq!(code(&refused), Some("INSUFFICIENT_FUNDS"));
    assert!(message(&refused).contains("insufficient funds"), "{refused}");
    assert_eq!(app.account(&alice, &account).await["version"], 1, "nothing was written");
    let exact = app.money(&alice, "withdraw", &account, "50").await;
    assert_eq!(exact["data"]["withdraw"]["account"]["balance"], "-50.00");
    assert_eq!(code(&app.money(&alice, "withdraw", &account, "0.01").await), Some("INSUFFICIENT_FUNDS"));

    let lower = app
        .gql(
            Some(&admin.token),
            "mutation($id: ID!) { changeOverdraftLimit(input: { accountId: $id, limit: \"10\" }) { account { overdraftLimit } } }",
            json!({ "id": account }),
        )
        .await;
    assert_eq!(code(&lower), Some("INSUFFICIENT_FUNDS"), "the limit cannot be lowered below the debt: {lower}");
}

#[tokio::test]
async fn nothing_happens_on_a_closed_account_and_close_needs_a_zero_balance() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    app.money(&alice, "deposit", &account, "5").await;
    let close = "mutation($id: ID!) { closeAccount(input: { accountId: $id }) { account { status version } } }";
    let not_empty = app.gql(Some(&alice.token), close, json!({ "id": account })).await;
    assert_eq!(code(&not_empty), Some("ACCOUNT_NOT_EMPTY"));
    app.money(&alice, "withdraw", &account, "5").await;
    let closed = app.ok(Some(&alice.token), close, json!({ "id": account })).await;
    assert_eq!(closed["closeAccount"]["account"]["status"], "CLOSED");
    assert_eq!(closed["closeAccount"]["account"]["version"], 4);
    for operation in ["deposit", "withdraw"] {
        assert_eq!(code(&app.money(&alice, operation, &account, "1").await), Some("ACCOUNT_CLOSED"));
    }
    assert_eq!(code(&app.gql(Some(&alice.token), close, json!({ "id": account })).await), Some("ACCOUNT_CLOSED"));
    assert_eq!(app.account(&alice, &account).await["version"], 4, "nothing was written");
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { account { version balance } } }";
    let at_version = |v: i64| json!({ "input": { "accountId": account, "amount": "10", "expectedVersion": v } });
    let ok = app.ok(Some(&alice.token), deposit, at_version(1)).await;
    assert_eq!(ok["deposit"]["account"]["version"], 2);
    let stale = app.gql(Some(&alice.token), deposit, at_version(1)).await;
    assert_eq!(code(&stale), Some("CONFLICT"));
    assert!(message(&stale).contains("version 2"), "{stale}");
    assert_eq!(app.account(&alice, &account).await["balance"], "10.00");
}

#[tokio::test]
async fn usernames_and_emails_are_unique_case_insensitively() {
    let app = spawn_app().await;
    app.register("alice").await;
    let register = "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token } }";
    let input = |username: &str, email: &str| json!({ "input": { "username": username, "email": email, "password": PASSWORD, "firstName": "A", "lastName": "B" } });
    let same_name = app.gql(None, register, input("ALICE", "other@example.com")).await;
    assert_eq!(code(&same_name), Some("ALREADY_EXISTS"));
    assert!(message(&same_name).contains("username"), "{same_name}");
    let same_email = app.gql(None, register, input("alice2", "Alice@Example.COM")).await;
    assert_eq!(code(&same_email), Some("ALREADY_EXISTS"));
    assert!(message(&same_email).contains("e-mail"), "{same_email}");
    let admin = app.admin().await;
    let clients = app.ok(Some(&admin.token), "{ clients { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 2, "alice and the admin only");
}

#[tokio::test]
async fn login_failures_do_not_tell_which_part_was_wrong() {
    let app = spawn_app().await;
    app.register("alice").await;
    let login = "mutation($input: LoginInput!) { login(input: $input) { token } }";
    let wrong_password =
        app.gql(None, login, json!({ "input": { "login": "alice", "password": "wrong password" } })).await;
    let unknown_user = app.gql(None, login, json!({ "input": { "login": "nobody", "password": PASSWORD } })).await;
    assert_eq!(code(&wrong_password), Some("INVALID_CREDENTIALS"));
    assert_eq!(code(&unknown_user), Some("INVALID_CREDENTIALS"));
    assert_eq!(message(&wrong_password), message(&unknown_user));
    let by_email =
        app.ok(None, login, json!({ "input": { "login": "ALICE@example.com", "password": PASSWORD } })).await;
    assert!(by_email["login"]["token"].as_str().is_some());
}

#[tokio::test]
async fn account_numbers_are_unique_and_checkable() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut numbers = std::collections::HashSet::new();
    for _ in 0..25 {
        let (_, number) = app.open_account(&alice).await;
        assert!(minibank::domain::value::AccountNumber::parse(&number).is_ok(), "{number}");
        assert!(numbers.insert(number));
    }
}

#[tokio::test]
async fn unknown_accounts_are_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(code(&app.money(&alice, "deposit", &missing, "1").await), Some("NOT_FOUND"));
    let response =
        app.gql(Some(&alice.token), "query($id: ID!) { account(id: $id) { id } }", json!({ "id": missing })).await;
    assert_eq!(response["data"]["account"], serde_json::Value::Null);
    let time_travel = app
        .gql(Some(&alice.token), "query($id: ID!) { accountAt(id: $id, version: 1) { id } }", json!({ "id": missing }))
        .await;
    assert_eq!(time_travel["data"]["accountAt"], serde_json::Value::Null);
}

#[tokio::test]
async fn time_travel_arguments_are_checked() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let at = "query($id: ID!, $v: Int, $at: DateTime) { accountAt(id: $id, version: $v, at: $at) { version } }";
    let both = app.gql(Some(&alice.token), at, json!({ "id": account, "v": 1, "at": "2026-01-01T00:00:00Z" })).await;
    assert_eq!(code(&both), Some("BAD_USER_INPUT"));
    assert_eq!(code(&app.gql(Some(&alice.token), at, json!({ "id": account, "v": 0 })).await), Some("BAD_USER_INPUT"));
    assert_eq!(code(&app.gql(Some(&alice.token), at, json!({ "id": account, "v": 5 })).await), Some("BAD_USER_INPUT"));
    let before = app.gql(Some(&alice.token), at, json!({ "id": account, "at": "2000-01-01T00:00:00Z" })).await;
    assert_eq!(before["data"]["accountAt"], serde_json::Value::Null, "the account did not exist yet");
}
