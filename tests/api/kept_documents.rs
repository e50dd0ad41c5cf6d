//! A document the server has seen validate runs again without async-graphql's
//! extensions (they would hook every field), with the error codes given
//! afterwards. Every answer must be the same the second time as the first:
//! same data, same errors, same codes, same input fields named.

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, spawn_app};

/// The request twice; both answers, which must be equal.
async fn twice(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let first = app.gql(token, query, variables.clone()).await;
    let second = app.gql(token, query, variables).await;
    assert_eq!(first, second, "the kept document answers as it did the first time: {query}");
    second
}

async fn twice_named(app: &TestApp, token: &str, query: &str, operation: &str) -> Value {
    let send = || async {
        let body = json!({ "query": query, "operationName": operation });
        app.http.post(&app.url).bearer_auth(token).json(&body).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first, second, "the kept document answers as it did the first time: {operation}");
    second
}

#[tokio::test]
async fn a_kept_document_answers_every_mistake_as_the_first_time() {
    let app = spawn_app().await;
    let alice = app.register("kept_alice").await;
    let bob = app.register("kept_bob").await;
    let (account, _) = app.open_account(&alice).await;
    let (bobs, _) = app.open_account(&bob).await;
    let token = Some(alice.token.as_str());

    let balance = "query($id: ID!) { account(id: $id) { balance transactions(first: 5) { nodes { amount } } } }";
    let ok = twice(&app, token, balance, json!({ "id": account })).await;
    assert_eq!(ok["data"]["account"]["balance"], "0.00", "{ok}");

    let malformed = twice(&app, token, balance, json!({ "id": "not-a-uuid" })).await;
    assert_eq!(code(&malformed), Some("BAD_USER_INPUT"), "{malformed}");
    let missing = twice(&app, token, balance, json!({})).await;
    assert_eq!(code(&missing), Some("BAD_USER_INPUT"), "{missing}");
    let wrong_type = twice(&app, token, balance, json!({ "id": 12 })).await;
    assert_eq!(code(&wrong_type), Some("BAD_USER_INPUT"), "{wrong_type}");
    let not_hers = twice(&app, token, balance, json!({ "id": bobs })).await;
    assert!(not_hers["data"]["account"].is_null() && not_hers.get("errors").is_none(), "{not_hers}");

    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { account { balance } } }";
    let bad_amount = twice(&app, token, deposit, json!({ "input": { "accountId": account, "amount": "1.234" } })).await;
    assert_eq!(code(&bad_amount), Some("BAD_USER_INPUT"), "{bad_amount}");
    assert_eq!(bad_amount["errors"][0]["extensions"]["field"], "amount", "{bad_amount}");
    let negative = twice(&app, token, deposit, json!({ "input": { "accountId": account, "amount": "-5.00" } })).await;
    assert!(negative.get("errors").is_some(), "{negative}");
    assert_ne!(code(&negative), Some("INTERNAL_SERVER_ERROR"), "{negative}");

    // Complexity depends on the variables: the same text is cheap, then too dear.
    let pages = "query($n: Int) { me { accounts(first: $n) { nodes { transactions(first: $n) { nodes { amount balanceAfter occurredAt } } } } } }";
    let cheap = twice(&app, token, pages, json!({ "n": 2 })).await;
    assert!(cheap.get("errors").is_none(), "{cheap}");
    let dear = twice(&app, token, pages, json!({ "n": 100 })).await;
    assert_eq!(code(&dear), Some("QUERY_TOO_COMPLEX"), "{dear}");

    // A document of two operations: a known name runs it, an unknown one is refused.
    let two = "query A { me { username } } query B { me { id } }";
    let a = twice_named(&app, &alice.token, two, "A").await;
    assert_eq!(a["data"]["me"]["username"], "kept_alice", "{a}");
    let b = twice_named(&app, &alice.token, two, "B").await;
    assert!(b["data"]["me"]["id"].is_string(), "{b}");
    let unknown = twice_named(&app, &alice.token, two, "C").await;
    assert_eq!(code(&unknown), Some("GRAPHQL_VALIDATION_FAILED"), "{unknown}");

    // No token where one is needed.
    let anonymous = twice(&app, None, balance, json!({ "id": account })).await;
    assert_eq!(code(&anonymous), Some("UNAUTHENTICATED"), "{anonymous}");
}

#[tokio::test]
async fn a_kept_document_asking_for_the_schema_description_gets_minibanks_own() {
    let app = spawn_app().await;
    let alice = app.register("kept_schema").await;
    let query = "{ me { username } __schema { description } }";
    let answer = twice(&app, Some(&alice.token), query, json!({})).await;
    let description = answer["data"]["__schema"]["description"].as_str().unwrap_or_default();
    assert!(description.starts_with("minibank:"), "{answer}");
    assert_eq!(answer["data"]["me"]["username"], "kept_schema", "{answer}");
}

#[tokio::test]
async fn a_kept_document_with_more_root_fields_than_run_at_once_answers_them_all() {
    let app = spawn_app().await;
    let alice = app.register("kept_roots").await;
    let (account, _) = app.open_account(&alice).await;
    let fields: String = (0..6).map(|i| format!("a{i}: account(id: $id) {{ balance }} ")).collect();
    let query = format!("query($id: ID!) {{ {fields} me {{ username }} }}");
    let answer = twice(&app, Some(&alice.token), &query, json!({ "id": account })).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    for i in 0..6 {
        assert_eq!(answer["data"][format!("a{i}")]["balance"], "0.00", "{answer}");
    }
}
