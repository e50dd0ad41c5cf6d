//! The server under attack: a real `minibank` process on a random port with a
//! fresh database, an admin, and one customer with a funded account.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use test_support::graphql;

use crate::server_process::{ServerProcess, minibank};
use crate::test_database::TestDatabase;

pub const JWT_SECRET: &str = "hostile-test-secret-that-is-at-least-32-bytes";
pub use test_support::graphql::{PASSWORD, User};

pub struct Target {
    pub server: ServerProcess,
    pub http: reqwest::Client,
    pub admin: User,
    pub alice: User,
    /// Alice's account, holding 100.00.
    pub account: String,
    _database: TestDatabase,
}

/// What a write would change: every event and every account's state.
#[derive(Debug, PartialEq)]
pub struct Ledger {
    pub events: i64,
    pub clients: i64,
    pub accounts: Vec<(String, String, i64)>,
}

impl Target {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts the server with extra environment variables.
    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create().await;
        let created = minibank(database.url())
            .args(["create-admin", "--username", "root", "--email", "root@example.com", "--password", PASSWORD])
            .output()
            .unwrap();
        assert!(created.status.success(), "create-admin: {created:?}");
        let mut env = env.to_vec();
        env.push(("JWT_SECRET", JWT_SECRET));
        let server = ServerProcess::start(database.url(), &env);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let mut target = Target {
            server,
            http,
            admin: User { id: String::new(), token: String::new() },
            alice: User { id: String::new(), token: String::new() },
            account: String::new(),
            _database: database,
        };
        target.admin = target.login("root").await;
        target.alice = target.register("alice").await;
        target.account = target.open_account(&target.alice).await;
        let deposit = target.money(&target.alice, "deposit", &target.account, "100.00").await;
        assert!(deposit.get("errors").is_none(), "{deposit}");
        target
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn database_url(&self) -> &str {
        self._database.url()
    }

    pub fn is_postgres(&self) -> bool {
        self._database.is_postgres()
    }

    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// The server's resident memory, in KiB (from /proc).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("the server is alive");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// Fails the test when the server process has exited.
    pub fn assert_alive(&mut self) {
        if let Some(status) = self.server.child.try_wait().unwrap() {
            panic!("the server died: {status}");
        }
    }

    /// POSTs a raw body as JSON; returns the status and the body (JSON, or the text as a string).
    pub async fn post_raw(&self, token: Option<&str>, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let mut request =
            self.http.post(self.url()).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// POSTs one operation; returns the status and the JSON body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (StatusCode, Value) {
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.post_raw(token, body).await
    }

    /// POSTs one operation that is answered with 200; returns the body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Like `gql`, but it must succeed; returns `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    pub async fn register(&self, username: &str) -> User {
        graphql::signed_up(&self.http, &self.url(), username).await
    }

    pub async fn login(&self, login: &str) -> User {
        graphql::signed_in(&self.http, &self.url(), login).await
    }

    /// Opens an account for `user`; returns its id.
    pub async fn open_account(&self, user: &User) -> String {
        let data =
            self.ok(Some(&user.token), "mutation { openAccount(input: {}) { account { id } } }", json!({})).await;
        data["openAccount"]["account"]["id"].as_str().unwrap().to_string()
    }

    /// `deposit` or `withdraw`; returns the whole response.
    pub async fn money(&self, user: &User, operation: &str, account_id: &str, amount: &str) -> Value {
        let query = format!(
            "mutation($input: MoneyInput!) {{ {operation}(input: $input) {{ account {{ balance version }} position }} }}"
        );
        self.gql(Some(&user.token), &query, json!({ "input": { "accountId": account_id, "amount": amount } })).await
    }

    /// Alice sends a new customer, Bob, 10.00 from her account; returns Bob,
    /// his account and the transfer's id.
    pub async fn transfer_to_bob(&self) -> (User, String, String) {
        let bob = self.register("bob").await;
        let bobs = self.open_account(&bob).await;
        let data = self
            .ok(
                Some(&self.alice.token),
                "mutation($input: TransferInput!) { transfer(input: $input) { transfer { id } } }",
                json!({ "input": { "fromAccountId": self.account, "toAccountId": bobs, "amount": "10.00" } }),
            )
            .await;
        (bob, bobs, data["transfer"]["transfer"]["id"].as_str().unwrap().to_string())
    }

    /// Everything a write would change, as the admin sees it.
    pub async fn ledger(&self) -> Ledger {
        let data = self
            .ok(
                Some(&self.admin.token),
                "{ events(first: 1) { totalCount } clients(first: 1) { totalCount } accounts(first: 100) { nodes { id balance version } } }",
                json!({}),
            )
            .await;
        let mut accounts: Vec<_> = data["accounts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["id"].as_str().unwrap().to_string(),
                    a["balance"].as_str().unwrap().to_string(),
                    a["version"].as_i64().unwrap(),
                )
            })
            .collect();
        accounts.sort();
        Ledger {
            events: data["events"]["totalCount"].as_i64().unwrap(),
            clients: data["clients"]["totalCount"].as_i64().unwrap(),
            accounts,
        }
    }

    /// The server is alive and answers an ordinary query and a signed-in one.
    pub async fn assert_serves(&mut self) {
        self.assert_alive();
        let data = self.ok(Some(&self.alice.token), "{ me { id } }", json!({})).await;
        assert_eq!(data["me"]["id"], self.alice.id.as_str());
    }
}

/// The `extensions.code` of every error.
pub fn codes(response: &Value) -> Vec<&str> {
    response["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["extensions"]["code"].as_str()).collect())
        .unwrap_or_default()
}

/// The `extensions.code` of the first error.
pub fn code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// The `extensions.field` of the first error: the input field a refusal names.
pub fn field(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["field"].as_str()
}
