//! The one GraphQL-over-HTTP client of the tests, and the few operations
//! that drive a server process.

use std::time::Duration;

use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";
pub const JWT_SECRET: &str = "a-secret-shared-by-every-instance-0123456789";

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

/// POSTs one operation to `url`, with a bearer token when given.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> reqwest::Result<reqwest::Response> {
    let mut request = http.post(url).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await
}

/// The whole answer to one operation; a server that did not answer (it
/// crashed, it is shutting down) gives `{"transport": why}`.
pub async fn gql(http: &reqwest::Client, url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    match post(http, url, token, query, variables).await {
        Ok(response) => response.json().await.unwrap_or_else(|e| json!({ "transport": e.to_string() })),
        Err(error) => json!({ "transport": error.to_string() }),
    }
}

/// The `data` of an operation that must succeed: answered, with no errors.
pub async fn ok(http: &reqwest::Client, url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let answer = gql(http, url, token, query, variables).await;
    assert!(answer.get("errors").is_none() && answer.get("transport").is_none(), "{answer}");
    answer["data"].clone()
}

pub fn code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

pub async fn register(http: &reqwest::Client, url: &str, username: &str, email: &str) -> Value {
    gql(
        http,
        url,
        None,
        "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token client { id } } }",
        json!({ "input": { "username": username, "email": email, "password": PASSWORD, "firstName": "C", "lastName": "L" } }),
    )
    .await
}

/// Registers and returns the token.
pub async fn sign_up(http: &reqwest::Client, url: &str, username: &str) -> String {
    let response = register(http, url, username, &format!("{username}@example.com")).await;
    response["data"]["registerClient"]["token"].as_str().unwrap_or_else(|| panic!("{response}")).to_string()
}

pub async fn open_account(http: &reqwest::Client, url: &str, token: &str) -> String {
    let response =
        gql(http, url, Some(token), "mutation { openAccount(input: {}) { account { id } } }", json!({})).await;
    response["data"]["openAccount"]["account"]["id"].as_str().unwrap_or_else(|| panic!("{response}")).to_string()
}

pub async fn deposit(http: &reqwest::Client, url: &str, token: &str, account: &str, amount: &str) -> Value {
    gql(
        http,
        url,
        Some(token),
        "mutation($input: MoneyInput!) { deposit(input: $input) { position account { balance version } } }",
        json!({ "input": { "accountId": account, "amount": amount } }),
    )
    .await
}

/// A signed-in client of a test server.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// Registers `username` (first name "Test", last name the username, the
/// tests' password); the registration must succeed.
pub async fn signed_up(http: &reqwest::Client, url: &str, username: &str) -> User {
    let data = ok(
        http,
        url,
        None,
        "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token client { id } } }",
        json!({ "input": {
            "username": username, "email": format!("{username}@example.com"), "password": PASSWORD,
            "firstName": "Test", "lastName": username
        }}),
    )
    .await;
    user(&data["registerClient"])
}

/// Signs in with the tests' password; it must succeed.
pub async fn signed_in(http: &reqwest::Client, url: &str, login: &str) -> User {
    let data = ok(
        http,
        url,
        None,
        "mutation($input: LoginInput!) { login(input: $input) { token client { id } } }",
        json!({ "input": { "login": login, "password": PASSWORD } }),
    )
    .await;
    user(&data["login"])
}

fn user(payload: &Value) -> User {
    User {
        id: payload["client"]["id"].as_str().unwrap().to_string(),
        token: payload["token"].as_str().unwrap().to_string(),
    }
}
