//! Automatic persisted queries as Apollo's `PersistedQueryLink` uses them: a
//! hash alone first, the query with its hash when the server does not know it.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, User, code, message, spawn_app};

const ME: &str = "query Me { me { id username } }";
const DEPOSIT: &str =
    "mutation Deposit($input: MoneyInput!) { deposit(input: $input) { account { balance version } } }";

fn sha256(query: &str) -> String {
    format!("{:x}", Sha256::digest(query.as_bytes()))
}

fn extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` (a request or a batch); returns the status and the JSON answer.
async fn post(url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// What the link sends first: the hash without the query.
async fn hash_only(url: &str, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    post(url, token, json!({ "variables": variables, "extensions": extension(&sha256(query)) })).await
}

/// What the link sends after PERSISTED_QUERY_NOT_FOUND: the query and its hash.
async fn with_query(url: &str, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let body = json!({ "query": query, "variables": variables, "extensions": extension(&sha256(query)) });
    post(url, token, body).await
}

fn assert_not_found(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(body), Some("PERSISTED_QUERY_NOT_FOUND"), "{body}");
    assert_eq!(message(body), "PersistedQueryNotFound", "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

/// A customer's token, and the id of an account they hold.
async fn signed_in(app: &TestApp) -> (User, String, String) {
    let user = app.register("apq_user").await;
    let (account, _) = app.open_account(&user).await;
    (user.clone(), user.token, account)
}

#[tokio::test]
async fn an_unknown_hash_is_not_found_then_the_query_with_its_hash_is_kept() {
    let app = spawn_app().await;
    let (_, token, _) = signed_in(&app).await;

    let (status, body) = hash_only(&app.url, Some(&token), ME, json!({})).await;
    assert_not_found(status, &body);

    let (status, body) = with_query(&app.url, Some(&token), ME, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["username"], "apq_user", "{body}");

    let (status, body) = hash_only(&app.url, Some(&token), ME, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["me"]["username"], "apq_user", "{body}");
}

#[tokio::test]
async fn a_kept_mutation_runs_from_its_hash_with_new_variables() {
    let app = spawn_app().await;
    let (_, token, account) = signed_in(&app).await;
    let input = |amount: &str| json!({ "input": { "accountId": account, "amount": amount } });

    let (status, body) = hash_only(&app.url, Some(&token), DEPOSIT, input("10.00")).await;
    assert_not_found(status, &body);
    let (status, body) = with_query(&app.url, Some(&token), DEPOSIT, input("10.00")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["deposit"]["account"]["balance"], "10.00", "{body}");

    let (status, body) = hash_only(&app.url, Some(&token), DEPOSIT, input("2.50")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["deposit"]["account"]["balance"], "12.50", "{body}");
    assert_eq!(body["data"]["deposit"]["account"]["version"], 3, "{body}");
}

#[tokio::test]
async fn a_hash_that_does_not_match_the_query_is_a_bad_request_and_runs_nothing() {
    let app = spawn_app().await;
    let (user, token, account) = signed_in(&app).await;
    let variables = json!({ "input": { "accountId": account, "amount": "5.00" } });

    let body = json!({ "query": DEPOSIT, "variables": variables, "extensions": extension(&sha256(ME)) });
    let (status, body) = post(&app.url, Some(&token), body).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), Some("BAD_REQUEST"), "{body}");
    assert_eq!(message(&body), "provided sha does not match query");

    // Nothing ran, and nothing was kept under either hash.
    assert_eq!(app.account(&user, &account).await["balance"], "0.00");
    assert_not_found_for(&app.url, &token, ME).await;
    assert_not_found_for(&app.url, &token, DEPOSIT).await;
}

async fn assert_not_found_for(url: &str, token: &str, query: &str) {
    let (status, body) = hash_only(url, Some(token), query, json!({})).await;
    assert_not_found(status, &body);
}

#[tokio::test]
async fn an_unsupported_version_or_a_malformed_extension_is_a_bad_request() {
    let app = spawn_app().await;
    for extensions in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256(ME) } }),
        json!({ "persistedQuery": { "sha256Hash": sha256(ME) } }),
        json!({ "persistedQuery": { "version": 1 } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": 7 } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        for query in [Value::Null, json!(ME)] {
            let mut request = json!({ "extensions": extensions });
            if !query.is_null() {
                request["query"] = query;
            }
            let (status, body) = post(&app.url, None, request.clone()).await;
            assert_eq!((status, code(&body)), (400, Some("BAD_REQUEST")), "{request}: {body}");
        }
    }
    // A body with neither a query nor the extension is still refused.
    let (status, body) = post(&app.url, None, json!({ "variables": {} })).await;
    assert_eq!((status, code(&body)), (400, Some("BAD_REQUEST")), "{body}");
}

#[tokio::test]
async fn get_carries_the_extension_in_the_query_string_as_apollo_sends_it() {
    let app = spawn_app().await;
    let (user, token, account) = signed_in(&app).await;
    let get = |query: Option<&str>, hash: String, variables: Value| {
        let mut params = vec![("variables", variables.to_string()), ("extensions", extension(&hash).to_string())];
        if let Some(query) = query {
            params.push(("query", query.to_string()));
        }
        reqwest::Client::new()
            .get(&app.url)
            .query(&params)
            .header("content-type", "application/json")
            .bearer_auth(&token)
            .send()
    };

    let response = get(None, sha256(ME), json!({})).await.unwrap();
    let status = response.status().as_u16();
    assert_not_found(status, &response.json().await.unwrap());

    let response = get(Some(ME), sha256(ME), json!({})).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["username"], "apq_user", "{body}");

    let response = get(None, sha256(ME), json!({})).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["username"], "apq_user", "{body}");

    let response = get(Some(ME), sha256(DEPOSIT), json!({})).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), Some("BAD_REQUEST"), "{body}");

    // A kept mutation stays a mutation: never over GET.
    let input = json!({ "input": { "accountId": account, "amount": "1.00" } });
    let (status, _) = with_query(&app.url, Some(&token), DEPOSIT, input.clone()).await;
    assert_eq!(status, 200);
    let response = get(None, sha256(DEPOSIT), input).await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(app.account(&user, &account).await["balance"], "1.00", "the GET ran nothing");
}

#[tokio::test]
async fn a_batch_answers_each_operation_on_its_own() {
    let app = spawn_app().await;
    let (_, token, _) = signed_in(&app).await;
    let typename = "query Typename { __typename }";
    let batch = json!([
        { "query": typename, "extensions": extension(&sha256(typename)) },
        { "extensions": extension(&sha256(ME)) },
    ]);
    let (status, body) = post(&app.url, Some(&token), batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["data"]["__typename"], "Query", "{body}");
    assert_not_found(200, &body[1]);

    let batch =
        json!([{ "extensions": extension(&sha256(typename)) }, { "query": ME, "extensions": extension(&sha256(ME)) }]);
    let (status, body) = post(&app.url, Some(&token), batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["data"]["__typename"], "Query", "{body}");
    assert_eq!(body[1]["data"]["me"]["username"], "apq_user", "{body}");

    let batch = json!([{ "query": ME }, { "query": ME, "extensions": extension(&sha256(typename)) }]);
    let (status, body) = post(&app.url, Some(&token), batch).await;
    assert_eq!((status, code(&body)), (400, Some("BAD_REQUEST")), "{body}");
}

#[tokio::test]
async fn a_restarted_server_knows_no_hash_and_the_query_is_kept_again() {
    let app = spawn_app().await;
    let (_, token, _) = signed_in(&app).await;
    let (status, _) = with_query(&app.url, Some(&token), ME, json!({})).await;
    assert_eq!(status, 200);
    let (_, body) = hash_only(&app.url, Some(&token), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["username"], "apq_user", "{body}");

    // The same database behind a new process: the cache starts empty.
    let restarted = app.another_server(|_| {}).await;
    let url = format!("http://{}/graphql", restarted.addr);
    let (status, body) = hash_only(&url, Some(&token), ME, json!({})).await;
    assert_not_found(status, &body);
    let (status, body) = with_query(&url, Some(&token), ME, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = hash_only(&url, Some(&token), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["username"], "apq_user", "{body}");
    restarted.stop().await.unwrap();
}

#[tokio::test]
async fn a_query_the_server_refuses_is_not_kept() {
    let app = spawn_app().await;
    let (_, token, _) = signed_in(&app).await;
    let too_wide = format!("{{ {} }}", (0..40).map(|n| format!("a{n}: __typename")).collect::<Vec<_>>().join(" "));
    let unknown_field = "query { me { id noSuchField } }";
    let unparsable = "query { me { id ";
    for (query, refused_with) in [
        (too_wide.as_str(), "QUERY_TOO_COMPLEX"),
        (unknown_field, "GRAPHQL_VALIDATION_FAILED"),
        (unparsable, "GRAPHQL_PARSE_FAILED"),
    ] {
        let (_, body) = with_query(&app.url, Some(&token), query, json!({})).await;
        assert_eq!(code(&body), Some(refused_with), "{query}: {body}");
        let (status, body) = hash_only(&app.url, Some(&token), query, json!({})).await;
        assert_not_found(status, &body);
    }
}
