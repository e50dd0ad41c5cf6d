//! Anonymous, customer A, customer B and admin against every query and mutation.

use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, TestApp, User, code, spawn_app};

struct World {
    app: TestApp,
    a: User,
    b: User,
    admin: User,
    account_a: String,
    number_a: String,
    account_b: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let a = app.register("customer_a").await;
    let b = app.register("customer_b").await;
    let admin = app.admin().await;
    let (account_a, number_a) = app.open_account(&a).await;
    let (account_b, _) = app.open_account(&b).await;
    let funded = app.money(&a, "deposit", &account_a, "100").await;
    assert!(funded.get("errors").is_none(), "{funded}");
    World { app, a, b, admin, account_a, number_a, account_b }
}

/// Who asks: no token, or one of the users.
fn as_token(user: Option<&User>) -> Option<&str> {
    user.map(|u| u.token.as_str())
}

async fn ask(w: &World, user: Option<&User>, query: &str, variables: Value) -> Value {
    w.app.gql(as_token(user), query, variables).await
}

#[tokio::test]
async fn queries_follow_the_matrix() {
    let w = world().await;
    let (a, b, admin) = (Some(&w.a), Some(&w.b), Some(&w.admin));

    // me
    assert_eq!(code(&ask(&w, None, "{ me { id } }", json!({})).await), Some("UNAUTHENTICATED"));
    assert_eq!(ask(&w, a, "{ me { id } }", json!({})).await["data"]["me"]["id"], w.a.id.as_str());
    assert_eq!(ask(&w, admin, "{ me { role } }", json!({})).await["data"]["me"]["role"], "ADMIN");

    // client(id)
    let client = "query($id: ID!) { client(id: $id) { username } }";
    let vars = json!({ "id": w.a.id });
    assert_eq!(code(&ask(&w, None, client, vars.clone()).await), Some("UNAUTHENTICATED"));
    assert_eq!(ask(&w, a, client, vars.clone()).await["data"]["client"]["username"], "customer_a");
    assert_eq!(ask(&w, b, client, vars.clone()).await["data"]["client"], Value::Null);
    assert_eq!(ask(&w, admin, client, vars).await["data"]["client"]["username"], "customer_a");

    // clients (admin only)
    let clients = "{ clients { totalCount nodes { username } } }";
    assert_eq!(code(&ask(&w, None, clients, json!({})).await), Some("UNAUTHENTICATED"));
    assert_eq!(code(&ask(&w, a, clients, json!({})).await), Some("FORBIDDEN"));
    assert_eq!(ask(&w, admin, clients, json!({})).await["data"]["clients"]["totalCount"], 3);
    let found = ask(&w, admin, r#"{ clients(search: "CUSTOMER_B") { nodes { username } } }"#, json!({})).await;
    assert_eq!(found["data"]["clients"]["nodes"], json!([{ "username": "customer_b" }]));

    // account(id) and accountByNumber
    let account = "query($id: ID!) { account(id: $id) { id } }";
    let vars = json!({ "id": w.account_a });
    assert_eq!(code(&ask(&w, None, account, vars.clone()).await), Some("UNAUTHENTICATED"));
    assert_eq!(ask(&w, a, account, vars.clone()).await["data"]["account"]["id"], w.account_a.as_str());
    assert_eq!(ask(&w, b, account, vars.clone()).await["data"]["account"], Value::Null);
    assert_eq!(ask(&w, admin, account, vars).await["data"]["account"]["id"], w.account_a.as_str());
    let by_number = "query($n: String!) { accountByNumber(number: $n) { id } }";
    let vars = json!({ "n": w.number_a });
    assert_eq!(code(&ask(&w, None, by_number, vars.clone()).await), Some("UNAUTHENTICATED"));
    assert_eq!(ask(&w, a, by_number, vars.clone()).await["data"]["accountByNumber"]["id"], w.account_a.as_str());
    assert_eq!(ask(&w, b, by_number, vars.clone()).await["data"]["accountByNumber"], Value::Null);
    assert_eq!(ask(&w, admin, by_number, vars).await["data"]["accountByNumber"]["id"], w.account_a.as_str());

    // accounts
    let accounts = "query($owner: ID) { accounts(ownerId: $owner) { totalCount nodes { id } } }";
    assert_eq!(code(&ask(&w, None, accounts, json!({})).await), Some("UNAUTHENTICATED"));
    assert_eq!(ask(&w, a, accounts, json!({})).await["data"]["accounts"]["nodes"], json!([{ "id": w.account_a }]));
    assert_eq!(ask(&w, b, accounts, json!({})).await["data"]["accounts"]["nodes"], json!([{ "id": w.account_b }]));
    assert_eq!(code(&ask(&w, a, accounts, json!({ "owner": w.b.id })).await), Some("FORBIDDEN"));
    assert_eq!(ask(&w, admin, accounts, json!({})).await["data"]["accounts"]["totalCount"], 2);
    let admin_a = ask(&w, admin, accounts, json!({ "owner": w.a.id })).await;
    assert_eq!(admin_a["data"]["accounts"]["nodes"], json!([{ "id": w.account_a }]));

    // accountAt
    let at = "query($id: ID!) { accountAt(id: $id) { balance } }";
    let vars = json!({ "id": w.account_a });
    assert_eq!(code(&ask(&w, None, at, vars.clone()).await), Some("UNAUTHENTICATED"));
    assert_eq!(ask(&w, a, at, vars.clone()).await["data"]["accountAt"]["balance"], "100.00");
    assert_eq!(ask(&w, b, at, vars.clone()).await["data"]["accountAt"], Value::Null);
    assert_eq!(ask(&w, admin, at, vars).await["data"]["accountAt"]["balance"], "100.00");

    // events
    let events = "query($f: EventFilter) { events(first: 100, filter: $f) { totalCount nodes { streamId } } }";
    assert_eq!(code(&ask(&w, None, events, json!({})).await), Some("UNAUTHENTICATED"));
    let streams = |response: &Value| -> Vec<String> {
        response["data"]["events"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["streamId"].as_str().unwrap().to_string())
            .collect()
    };
    let seen_by_a = streams(&ask(&w, a, events, json!({})).await);
    assert_eq!(seen_by_a.len(), 3, "A's registration, opening and deposit");
    assert!(seen_by_a.iter().all(|s| *s == w.a.id || *s == w.account_a));
    let seen_by_b = streams(&ask(&w, b, events, json!({})).await);
    assert!(seen_by_b.iter().all(|s| *s == w.b.id || *s == w.account_b));
    let b_asks_for_a = ask(&w, b, events, json!({ "f": { "streamIds": [w.account_a] } })).await;
    assert_eq!(b_asks_for_a["data"]["events"]["totalCount"], 0);
    assert_eq!(ask(&w, admin, events, json!({})).await["data"]["events"]["totalCount"], 6);
}

#[tokio::test]
async fn mutations_follow_the_matrix() {
    let w = world().await;
    let (a, b, admin) = (Some(&w.a), Some(&w.b), Some(&w.admin));
    let open = "mutation($input: OpenAccountInput!) { openAccount(input: $input) { account { owner { id } overdraftLimit } } }";
    assert_eq!(code(&ask(&w, None, open, json!({ "input": {} })).await), Some("UNAUTHENTICATED"));
    assert_eq!(
        ask(&w, a, open, json!({ "input": {} })).await["data"]["openAccount"]["account"]["owner"]["id"],
        w.a.id.as_str()
    );
    assert_eq!(code(&ask(&w, a, open, json!({ "input": { "ownerId": w.b.id } })).await), Some("FORBIDDEN"));
    assert_eq!(code(&ask(&w, a, open, json!({ "input": { "overdraftLimit": "50" } })).await), Some("FORBIDDEN"));
    let by_admin = ask(&w, admin, open, json!({ "input": { "ownerId": w.b.id, "overdraftLimit": "50" } })).await;
    assert_eq!(by_admin["data"]["openAccount"]["account"]["owner"]["id"], w.b.id.as_str());
    assert_eq!(by_admin["data"]["openAccount"]["account"]["overdraftLimit"], "50.00");

    for operation in ["deposit", "withdraw"] {
        assert_eq!(code(&money_as(&w.app, None, operation, &w.account_a, "1").await), Some("UNAUTHENTICATED"));
        assert_eq!(code(&money_as(&w.app, b, operation, &w.account_a, "1").await), Some("NOT_FOUND"));
        assert!(money_as(&w.app, a, operation, &w.account_a, "1").await.get("errors").is_none());
        assert!(money_as(&w.app, admin, operation, &w.account_a, "1").await.get("errors").is_none());
    }

    let limit = "mutation($input: ChangeOverdraftLimitInput!) { changeOverdraftLimit(input: $input) { account { overdraftLimit } } }";
    let vars = json!({ "input": { "accountId": w.account_a, "limit": "25" } });
    assert_eq!(code(&ask(&w, None, limit, vars.clone()).await), Some("UNAUTHENTICATED"));
    assert_eq!(code(&ask(&w, a, limit, vars.clone()).await), Some("FORBIDDEN"));
    assert_eq!(code(&ask(&w, b, limit, vars.clone()).await), Some("FORBIDDEN"));
    assert_eq!(ask(&w, admin, limit, vars).await["data"]["changeOverdraftLimit"]["account"]["overdraftLimit"], "25.00");

    let close = "mutation($input: CloseAccountInput!) { closeAccount(input: $input) { account { status } } }";
    let (empty_a, _) = w.app.open_account(&w.a).await;
    let vars = json!({ "input": { "accountId": empty_a } });
    assert_eq!(code(&ask(&w, None, close, vars.clone()).await), Some("UNAUTHENTICATED"));
    assert_eq!(code(&ask(&w, b, close, vars.clone()).await), Some("NOT_FOUND"));
    assert_eq!(ask(&w, a, close, vars).await["data"]["closeAccount"]["account"]["status"], "CLOSED");
    let (empty_b, _) = w.app.open_account(&w.b).await;
    let closed_by_admin = ask(&w, admin, close, json!({ "input": { "accountId": empty_b } })).await;
    assert_eq!(closed_by_admin["data"]["closeAccount"]["account"]["status"], "CLOSED");
}

#[tokio::test]
async fn another_customers_account_looks_exactly_like_a_missing_one() {
    let w = world().await;
    let missing = uuid::Uuid::now_v7().to_string();
    let theirs = money_as(&w.app, Some(&w.b), "deposit", &w.account_a, "1").await;
    let nobodys = money_as(&w.app, Some(&w.b), "deposit", &missing, "1").await;
    assert_eq!(code(&theirs), Some("NOT_FOUND"));
    assert_eq!(theirs["errors"][0]["message"], nobodys["errors"][0]["message"]);
    let stale = w
        .app
        .gql(
            Some(&w.b.token),
            "mutation($input: MoneyInput!) { deposit(input: $input) { position } }",
            json!({ "input": { "accountId": w.account_a, "amount": "1", "expectedVersion": 99 } }),
        )
        .await;
    assert_eq!(code(&stale), Some("NOT_FOUND"), "a stale version must not reveal the account: {stale}");
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated_but_do_not_block_signing_in() {
    let w = world().await;
    let forged = {
        let claims =
            json!({ "sub": w.a.id, "role": "ADMIN", "exp": 4_000_000_000u64, "iss": "minibank", "aud": "minibank" });
        let key = jsonwebtoken::EncodingKey::from_secret(b"not-the-server-secret-not-the-server-secret");
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    let expired = {
        let claims =
            json!({ "sub": w.a.id, "role": "CUSTOMER", "exp": 1_000_000_000u64, "iss": "minibank", "aud": "minibank" });
        let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    for token in [forged.as_str(), expired.as_str(), "garbage", "a.b.c"] {
        let response = w.app.gql(Some(token), "{ me { id } }", json!({})).await;
        assert_eq!(code(&response), Some("UNAUTHENTICATED"), "token {token}: {response}");
        let login = w
            .app
            .gql(
                Some(token),
                "mutation($input: LoginInput!) { login(input: $input) { client { id } } }",
                json!({ "input": { "login": "customer_a", "password": crate::helpers::PASSWORD } }),
            )
            .await;
        assert_eq!(login["data"]["login"]["client"]["id"], w.a.id.as_str());
    }
    let empty_header =
        w.app.http.post(&w.app.url).header("authorization", "").json(&json!({ "query": "{ me { id } }" }));
    let response: Value = empty_header.send().await.unwrap().json().await.unwrap();
    assert_eq!(code(&response), Some("UNAUTHENTICATED"), "an empty header is anonymous, and me needs a caller");
}

/// A deposit or withdrawal by `user` (anonymous when none); its raw response.
async fn money_as(app: &TestApp, user: Option<&User>, operation: &str, account_id: &str, amount: &str) -> Value {
    let query = format!("mutation($input: MoneyInput!) {{ {operation}(input: $input) {{ position }} }}");
    app.gql(as_token(user), &query, json!({ "input": { "accountId": account_id, "amount": amount } })).await
}
