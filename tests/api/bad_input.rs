//! Bad input gets a clear error with the right code, and nothing is written.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, User, code, spawn_app};

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app.http.post(&app.url).header("content-type", content_type).body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn invalid_amounts_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    let before = app.event_count(&admin).await;
    for amount in ["0", "-5", "0.001", "1000000000000.01", "1e13", "abc", "", "NaN"] {
        let response = app.money(&alice, "deposit", &account, amount).await;
        assert_eq!(code(&response), Some("BAD_USER_INPUT"), "amount {amount:?}: {response}");
    }
    let float = app
        .gql(
            Some(&alice.token),
            "mutation($id: ID!) { deposit(input: { accountId: $id, amount: 1.5 }) { position } }",
            json!({ "id": account }),
        )
        .await;
    assert_eq!(code(&float), Some("BAD_USER_INPUT"), "{float}");
    let float_variable = app
        .gql(
            Some(&alice.token),
            "mutation($input: MoneyInput!) { deposit(input: $input) { position } }",
            json!({ "input": { "accountId": account, "amount": 1.5 } }),
        )
        .await;
    assert_eq!(code(&float_variable), Some("BAD_USER_INPUT"), "{float_variable}");
    assert!(app.money(&alice, "deposit", &account, "1000000000000").await.get("errors").is_none());
    assert_eq!(app.event_count(&admin).await, before + 1, "only the valid deposit was recorded");
}

#[tokio::test]
async fn invalid_registrations_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let register = "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token } }";
    let valid = json!({ "username": "bob", "email": "bob@example.com", "password": PASSWORD, "firstName": "Bob", "lastName": "B" });
    let cases: Vec<(&str, Value)> = vec![
        ("username", json!("ab")),
        ("username", json!("a".repeat(33))),
        ("username", json!("bob smith")),
        ("username", json!("böb")),
        ("email", json!("not-an-email")),
        ("email", json!("bob@")),
        ("password", json!("short")),
        ("password", json!("p".repeat(129))),
        ("firstName", json!("")),
        ("firstName", json!("x".repeat(101))),
        ("lastName", json!("y".repeat(101))),
    ];
    for (field, value) in cases {
        let mut input = valid.clone();
        input[field] = value.clone();
        let response = app.gql(None, register, json!({ "input": input })).await;
        assert_eq!(code(&response), Some("BAD_USER_INPUT"), "{field} = {value}: {response}");
    }
    let mut unknown_field = valid.clone();
    unknown_field["nickname"] = json!("bobby");
    let response = app.gql(None, register, json!({ "input": unknown_field })).await;
    assert!(matches!(code(&response), Some("BAD_USER_INPUT" | "GRAPHQL_VALIDATION_FAILED")), "{response}");
    let clients = app.ok(Some(&admin.token), "{ clients { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 1, "only the admin exists");
    assert_eq!(app.event_count(&admin).await, 1);
}

async fn alice_with_account(app: &TestApp) -> (User, String) {
    let alice = app.register("alice").await;
    let (account, _) = app.open_account(&alice).await;
    (alice, account)
}

#[tokio::test]
async fn long_descriptions_malformed_ids_and_bad_arguments_are_refused() {
    let app = spawn_app().await;
    let (alice, account) = alice_with_account(&app).await;
    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { position } }";
    let long = app
        .gql(
            Some(&alice.token),
            deposit,
            json!({ "input": { "accountId": account, "amount": "1", "description": "x".repeat(201) } }),
        )
        .await;
    assert_eq!(code(&long), Some("BAD_USER_INPUT"));
    let fits = app
        .gql(
            Some(&alice.token),
            deposit,
            json!({ "input": { "accountId": account, "amount": "1", "description": "x".repeat(200) } }),
        )
        .await;
    assert!(fits.get("errors").is_none(), "{fits}");
    for bad_id in ["not-a-uuid", "", "123"] {
        let response =
            app.gql(Some(&alice.token), deposit, json!({ "input": { "accountId": bad_id, "amount": "1" } })).await;
        assert_eq!(code(&response), Some("BAD_USER_INPUT"), "{bad_id:?}: {response}");
        let query =
            app.gql(Some(&alice.token), "query($id: ID!) { account(id: $id) { id } }", json!({ "id": bad_id })).await;
        assert_eq!(code(&query), Some("BAD_USER_INPUT"));
    }
    let bad_command_id = app
        .gql(
            Some(&alice.token),
            deposit,
            json!({ "input": { "accountId": account, "amount": "1", "commandId": "nope" } }),
        )
        .await;
    assert_eq!(code(&bad_command_id), Some("BAD_USER_INPUT"));
    let negative_first = app.gql(Some(&alice.token), "{ accounts(first: -1) { totalCount } }", json!({})).await;
    assert_eq!(code(&negative_first), Some("BAD_USER_INPUT"));
    let bad_cursor = app.gql(Some(&alice.token), "{ accounts(after: \"garbage\") { totalCount } }", json!({})).await;
    assert_eq!(code(&bad_cursor), Some("BAD_USER_INPUT"));
    let bad_currency = app
        .gql(Some(&alice.token), "mutation { openAccount(input: { currency: \"XYZ\" }) { position } }", json!({}))
        .await;
    assert_eq!(code(&bad_currency), Some("BAD_USER_INPUT"));
    let bad_position = app.gql(Some(&alice.token), "{ events(after: \"-3\") { totalCount } }", json!({})).await;
    assert_eq!(code(&bad_position), Some("BAD_USER_INPUT"), "{bad_position}");
    let bad_type = app
        .gql(Some(&alice.token), "{ events(filter: { streamTypes: [\"WALLET\"] }) { totalCount } }", json!({}))
        .await;
    assert_eq!(code(&bad_type), Some("BAD_USER_INPUT"));
    assert_eq!(app.account(&alice, &account).await["version"], 2, "only the one valid deposit");
}

#[tokio::test]
async fn malformed_requests_get_clear_codes() {
    let app = spawn_app().await;
    let (status, body) = post_raw(&app, "application/json", "{not json").await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), Some("BAD_REQUEST"));
    let (status, body) = post_raw(&app, "application/json", r#"{"query": "{ me { id "}"#).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), Some("GRAPHQL_PARSE_FAILED"));
    let (_, body) = post_raw(&app, "application/json", r#"{"query": "{ me { nope } }"}"#).await;
    assert_eq!(code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    let (_, body) = post_raw(&app, "application/json", r#"{"query": "{ nothing }"}"#).await;
    assert_eq!(code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    let (_, body) =
        post_raw(&app, "application/json", r#"{"query": "query A { me { id } } query B { me { id } }"}"#).await;
    assert!(code(&body).is_some(), "{body}");
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused_with_413() {
    let app = spawn_app().await;
    let padding = " ".repeat(1024 * 1024 + 1);
    let body = format!(r#"{{"query": "{{ __typename }}{padding}"}}"#);
    let (status, response) = post_raw(&app, "application/json", body).await;
    assert_eq!(status, 413);
    assert_eq!(code(&response), Some("PAYLOAD_TOO_LARGE"));
}

#[tokio::test]
async fn batches_are_capped_at_ten() {
    let app = spawn_app().await;
    let one = json!({ "query": "{ __typename }" });
    let (status, response) = post_raw(&app, "application/json", json!([one, one]).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(response.as_array().map(Vec::len), Some(2));
    let eleven: Vec<Value> = (0..11).map(|_| one.clone()).collect();
    let (status, response) = post_raw(&app, "application/json", json!(eleven).to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(code(&response), Some("BAD_REQUEST"));
}

#[tokio::test]
async fn get_runs_queries_but_refuses_mutations_with_405() {
    let app = spawn_app().await;
    let query = app.http.get(&app.url).query(&[("query", "{ __typename }")]).header("content-type", "application/json");
    let response = query.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["data"]["__typename"], "Query");
    let mutation = app
        .http
        .get(&app.url)
        .query(&[("query", "mutation { login(input: {login: \"a\", password: \"b\"}) { token } }")])
        .header("content-type", "application/json");
    let response = mutation.send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn simple_cross_site_requests_are_blocked_as_csrf() {
    let app = spawn_app().await;
    let (status, body) = post_raw(&app, "text/plain", r#"{"query": "{ __typename }"}"#).await;
    assert_eq!(status, 400);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Cross-Site Request Forgery"));
    let with_preflight = app
        .http
        .post(&app.url)
        .header("content-type", "text/plain")
        .header("apollo-require-preflight", "true")
        .body(r#"{"query": "{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(with_preflight.status(), 200);
    let get_without_headers = app.http.get(&app.url).query(&[("query", "{ __typename }")]).send().await.unwrap();
    assert_eq!(get_without_headers.status(), 400);
}

#[tokio::test]
async fn deep_or_costly_queries_are_too_complex_but_introspection_works() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let deep = "{ me { accounts { nodes { owner { accounts { nodes { owner { accounts { nodes { owner { accounts { nodes { id } } } } } } } } } } } } }";
    let response = app.gql(Some(&alice.token), deep, json!({})).await;
    assert_eq!(code(&response), Some("QUERY_TOO_COMPLEX"), "{response}");
    let costly =
        "{ accounts(first: 100) { nodes { transactions(first: 100) { nodes { id amount balanceAfter kind } } } } }";
    let response = app.gql(Some(&alice.token), costly, json!({})).await;
    assert_eq!(code(&response), Some("QUERY_TOO_COMPLEX"), "{response}");
    let introspection = include_str!("introspection.graphql");
    let response = app.gql(None, introspection, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn internal_errors_are_masked() {
    use minibank::application::AppError;
    let error = minibank::graphql::gql_error(AppError::Unexpected(anyhow::anyhow!(
        "error returned from database: UNIQUE constraint failed: events.stream_id (src/infrastructure/event_store.rs:42)"
    )));
    assert!(!error.message.contains("database") && !error.message.contains("src/"), "{}", error.message);
    let extensions = format!("{:?}", error.extensions);
    assert!(extensions.contains("INTERNAL_SERVER_ERROR"), "{extensions}");
}
