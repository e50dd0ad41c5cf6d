//! A customer of the tool's own, its accounts, and their starting money.

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::json;
use uuid::Uuid;

use crate::client::Gql;
use crate::ops;

const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { token } }";

pub struct Session {
    /// Signed in as the customer.
    pub gql: Gql,
    pub token: String,
    pub accounts: Vec<String>,
}

/// Registers a fresh customer (unique per run) and opens and funds `accounts`
/// accounts, `concurrency` at a time.
pub async fn prepare(anonymous: &Gql, accounts: usize, fund: &str, concurrency: usize) -> anyhow::Result<Session> {
    let (gql, token) = register(anonymous).await?;
    let opened: Vec<String> = stream::iter(0..accounts)
        .map(|_| open_account(&gql, fund))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(Session { gql, token, accounts: opened })
}

/// Signed in as an existing user (an admin made with `minibank create-admin`).
pub struct SignedIn {
    pub gql: Gql,
    pub token: String,
}

pub async fn sign_in(anonymous: &Gql, login: &str, password: &str) -> anyhow::Result<SignedIn> {
    let input = json!({ "input": { "login": login, "password": password } });
    let data =
        anonymous.execute(LOGIN, input).await.map_err(|f| anyhow::anyhow!("cannot sign in as {login}: {f:?}"))?;
    let Some(token) = data["login"]["token"].as_str() else {
        bail!("login answered without a token: {data}");
    };
    Ok(SignedIn { gql: anonymous.with_token(token), token: token.to_owned() })
}

async fn register(anonymous: &Gql) -> anyhow::Result<(Gql, String)> {
    let tag = Uuid::new_v4().simple().to_string();
    let username = format!("lg-{}", &tag[..20]);
    let input = json!({ "input": {
        "username": username,
        "email": format!("{username}@loadgen.example.com"),
        "password": "loadgen password",
        "firstName": "Load",
        "lastName": "Generator",
    }});
    let data = anonymous
        .execute(ops::REGISTER, input)
        .await
        .with_context(|| format!("cannot register a customer at {}", anonymous.url()))?;
    let Some(token) = data["registerClient"]["token"].as_str() else {
        bail!("registerClient answered without a token: {data}");
    };
    Ok((anonymous.with_token(token), token.to_owned()))
}

async fn open_account(gql: &Gql, fund: &str) -> anyhow::Result<String> {
    let data = gql.execute(ops::OPEN_ACCOUNT, json!({})).await.context("cannot open an account")?;
    let Some(id) = data["openAccount"]["account"]["id"].as_str() else {
        bail!("openAccount answered without an id: {data}");
    };
    if fund != "0" && fund != "0.00" {
        gql.execute(ops::DEPOSIT, ops::money(id, fund)).await.context("cannot fund an account")?;
    }
    Ok(id.to_owned())
}
