//! The real server in the test's own process (`minibank::bootstrap::spawn`) on
//! a random port and a fresh database, with a client for it: for tests that
//! reach into the running server (its bus, a second instance on the same
//! database); `server_process` runs the binary instead.

use std::time::Duration;

use crate::graphql;
use crate::test_database::TestDatabase;
use minibank::application::Actor;
use minibank::application::commands::{Command, CommandMeta, PlainPassword, RegisterClient};
use minibank::bootstrap::{RunningServer, Settings, spawn};
use minibank::domain::value::{Email, PersonName, Role, Username};
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
pub use crate::graphql::{PASSWORD, User};

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub server: RunningServer,
    _database: TestDatabase,
}

/// Starts the real server on a random port with a fresh database: SQLite, or
/// PostgreSQL when `TEST_DATABASE_URL` is set.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestDatabase::create().await, configure).await
}

/// The server on a given database.
pub async fn spawn_app_on(database: TestDatabase, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::for_database(database.url());
    settings.jwt_secret = Some(JWT_SECRET.into());
    configure(&mut settings);
    let server = spawn(settings).await.expect("server starts");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    TestApp { url: format!("http://{}/graphql", server.addr), http, server, _database: database }
}

impl TestApp {
    /// Another server on the same database (a second instance, or a restart).
    pub async fn another_server(&self, configure: impl FnOnce(&mut Settings)) -> RunningServer {
        let mut settings = Settings::for_database(self._database.url());
        settings.jwt_secret = Some(JWT_SECRET.into());
        configure(&mut settings);
        spawn(settings).await.expect("second server starts")
    }

    pub async fn transfer(&self, user: &User, from: &str, to: &str, amount: &str) -> Value {
        self.gql(
            Some(&user.token),
            "mutation($input: TransferInput!) { transfer(input: $input) { transfer { id status failureReason amount from { id } to { id number } } events { type streamId streamType metadata { correlationId causationId commandId } } } }",
            json!({ "input": { "fromAccountId": from, "toAccountId": to, "amount": amount } }),
        )
        .await
    }

    /// Polls until the transfer is no longer PENDING; returns it.
    pub async fn settled(&self, user: &User, transfer_id: &str) -> Value {
        for _ in 0..300 {
            let data = self
                .ok(
                    Some(&user.token),
                    "query($id: ID!) { transfer(id: $id) { id status failureReason completedAt } }",
                    json!({ "id": transfer_id }),
                )
                .await;
            if data["transfer"]["status"] != "PENDING" {
                return data["transfer"].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("transfer {transfer_id} never settled");
    }
}

impl TestApp {
    /// The server's database (to write what today's code would not, e.g. old event versions).
    pub fn database_url(&self) -> &str {
        self._database.url()
    }

    /// POSTs one operation and returns the whole JSON response.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = graphql::post(&self.http, &self.url, token, query, variables).await.unwrap();
        assert_eq!(response.status(), 200, "GraphQL answers 200");
        response.json().await.unwrap()
    }

    /// Like `gql`, but the operation must succeed; returns `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.gql(token, query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response}");
        response["data"].clone()
    }

    pub async fn register(&self, username: &str) -> User {
        graphql::signed_up(&self.http, &self.url, username).await
    }

    /// Registers an admin through the command path (as `minibank create-admin` does) and signs in.
    pub async fn admin(&self) -> User {
        let command = RegisterClient {
            username: Username::new("root").unwrap(),
            email: Email::new("root@example.com").unwrap(),
            password: PlainPassword::new(PASSWORD).unwrap(),
            first_name: PersonName::new("firstName", "Ada").unwrap(),
            last_name: PersonName::new("lastName", "Admin").unwrap(),
            is_company: false,
            role: Role::Admin,
        };
        let meta = CommandMeta::request(Actor::System, None);
        self.server.ctx.bus.dispatch(Command::RegisterClient(command), meta).await.unwrap();
        self.login("root").await
    }

    pub async fn login(&self, login: &str) -> User {
        graphql::signed_in(&self.http, &self.url, login).await
    }

    /// Opens an account for the signed-in user; returns (id, number).
    pub async fn open_account(&self, user: &User) -> (String, String) {
        let data = self
            .ok(Some(&user.token), "mutation { openAccount(input: {}) { account { id number } } }", json!({}))
            .await;
        let account = &data["openAccount"]["account"];
        (account["id"].as_str().unwrap().to_string(), account["number"].as_str().unwrap().to_string())
    }

    pub async fn money(&self, user: &User, operation: &str, account_id: &str, amount: &str) -> Value {
        let query = format!(
            "mutation($input: MoneyInput!) {{ {operation}(input: $input) {{ account {{ balance version }} position events {{ type }} }} }}"
        );
        self.gql(Some(&user.token), &query, json!({ "input": { "accountId": account_id, "amount": amount } })).await
    }

    /// The account as its owner (or an admin) sees it.
    pub async fn account(&self, user: &User, account_id: &str) -> Value {
        let data = self
            .ok(
                Some(&user.token),
                "query($id: ID!) { account(id: $id) { id balance version status overdraftLimit availableBalance transactions(first: 100) { totalCount } } }",
                json!({ "id": account_id }),
            )
            .await;
        data["account"].clone()
    }

    /// How many events the whole log holds (as an admin sees it).
    pub async fn event_count(&self, admin: &User) -> i64 {
        let data = self.ok(Some(&admin.token), "{ events(first: 1) { totalCount } }", json!({})).await;
        data["events"]["totalCount"].as_i64().unwrap()
    }
}

/// The `extensions.code` of the first error, if any.
pub fn code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

pub fn message(response: &Value) -> &str {
    response["errors"][0]["message"].as_str().unwrap_or_default()
}
