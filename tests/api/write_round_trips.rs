//! What a command costs the database, counted by the server itself
//! (`minibank_db_statements_total` on /metrics, a hook on every connection;
//! BEGIN and COMMIT are not counted by it and come on top). A deposit is one
//! group commit: the order lock (PostgreSQL), the streams' versions, the
//! head, the events, the account rows and the movements. Nothing is read
//! before it (the handler decides on the cached account) or after it (the
//! answer is built from the committed state, and the live feed takes the
//! events from the commit).
//!
//! Runs on SQLite, and on PostgreSQL with `TEST_DATABASE_URL`.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::PASSWORD;
use crate::server_process::ServerProcess;
use crate::test_database::TestDatabase;

const DEPOSIT: &str =
    "mutation($input: MoneyInput!) { deposit(input: $input) { position account { id balance version } } }";

struct Server {
    server: ServerProcess,
    http: reqwest::Client,
    _database: TestDatabase,
}

impl Server {
    async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let request = self.http.post(self.server.url()).json(&json!({ "query": query, "variables": variables }));
        let request = if token.is_empty() { request } else { request.bearer_auth(token) };
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(response.get("errors").is_none(), "unexpected errors: {response}");
        response["data"].clone()
    }

    async fn statements_so_far(&self) -> u64 {
        let url = format!("http://{}/metrics", self.server.addr);
        let text = self.http.get(url).send().await.unwrap().text().await.unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("minibank_db_statements_total"))
            .unwrap_or_else(|| panic!("no statement counter on /metrics:\n{text}"));
        line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64
    }

    /// The statements of `work`, less what a bare scrape costs; the least
    /// of three runs, since background work can only add some.
    async fn statements_of<F: AsyncFn()>(&self, work: F) -> u64 {
        let mut scrape = u64::MAX;
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            let before = self.statements_so_far().await;
            scrape = scrape.min(self.statements_so_far().await - before);
        }
        for _ in 0..3 {
            let before = self.statements_so_far().await;
            work().await;
            fewest = fewest.min(self.statements_so_far().await - before);
        }
        fewest - scrape
    }
}

/// A server with one customer and `accounts` accounts; the customer's token
/// and the account ids.
async fn customer_with_accounts(accounts: usize) -> (Server, String, Vec<String>) {
    let database = TestDatabase::create().await;
    let server =
        ServerProcess::start(database.url(), &[("JWT_SECRET", "a-secret-for-the-round-trip-tests-0123456789")]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let server = Server { server, http, _database: database };
    let register = "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token } }";
    let input = json!({ "input": { "username": "saver", "email": "saver@example.com", "password": PASSWORD,
        "firstName": "Sam", "lastName": "Saver" } });
    let token = server.gql("", register, input).await["registerClient"]["token"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for _ in 0..accounts {
        let opened = server.gql(&token, "mutation { openAccount(input: {}) { account { id } } }", json!({})).await;
        ids.push(opened["openAccount"]["account"]["id"].as_str().unwrap().to_owned());
    }
    (server, token, ids)
}

async fn deposit(server: &Server, token: &str, account: &str) -> Value {
    let input = json!({ "input": { "accountId": account, "amount": "1.00" } });
    server.gql(token, DEPOSIT, input).await["deposit"].clone()
}

#[tokio::test]
async fn a_deposit_is_one_transaction_of_a_few_statements_and_nothing_else() {
    let (server, token, accounts) = customer_with_accounts(1).await;
    let account = &accounts[0];
    deposit(&server, &token, account).await; // the account's opening instant is now known
    let statements = server.statements_of(async || drop(deposit(&server, &token, account).await)).await;
    let postgres = server._database.is_postgres();
    let expected = if postgres { 6 } else { 5 };
    assert_eq!(statements, expected, "one deposit's statements (postgres: {postgres})");
    let answer = deposit(&server, &token, account).await;
    assert_eq!(answer["account"]["balance"], "5.00", "the answer shows the committed state: {answer}");
    assert_eq!(answer["account"]["version"], 6, "{answer}");
}

/// Deposits sent together share transactions: never more statements than
/// one deposit alone costs, and usually far fewer (the figures are printed;
/// how many share a batch depends on timing, which a test does not assert).
#[tokio::test]
async fn deposits_sent_together_cost_no_more_than_one_alone() {
    let (server, token, accounts) = customer_with_accounts(16).await;
    for account in &accounts {
        deposit(&server, &token, account).await;
    }
    let rounds = 4;
    let statements = server
        .statements_of(async || {
            for _ in 0..rounds {
                join_all(accounts.iter().map(|account| deposit(&server, &token, account))).await;
            }
        })
        .await;
    let deposits = (rounds * accounts.len()) as u64;
    let per_deposit = statements as f64 / deposits as f64;
    eprintln!("{deposits} concurrent deposits cost {statements} statements ({per_deposit:.2} each)");
    assert!(statements <= deposits * 6, "{statements} statements for {deposits} deposits");
}
