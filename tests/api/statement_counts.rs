//! What nested queries cost in SQL statements, counted by the server itself
//! (`minibank_db_statements_total` on /metrics, incremented by a hook on
//! every database connection) before and after each query. The server runs
//! as its own process: the metrics recorder is per process, and the other
//! tests of this binary run servers in parallel.
//!
//! Runs on SQLite, and on PostgreSQL with `TEST_DATABASE_URL`.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::PASSWORD;
use crate::server_process::{ServerProcess, minibank};
use crate::test_database::TestDatabase;

const JWT_SECRET: &str = "a-secret-for-the-statement-count-tests-0123456789";
const CLIENTS: usize = 12;
const ACCOUNTS_PER_CLIENT: usize = 5;
const DEPOSITS_PER_ACCOUNT: usize = 3;

/// The query of issue 17.
const ACCOUNTS_WITH_OWNERS_AND_TRANSACTIONS: &str = "query($first: Int) { accounts(first: $first) { totalCount nodes { id number balance owner { id username } transactions(first: 5) { totalCount nodes { amount balanceAfter } } } } }";

struct Bank {
    server: ServerProcess,
    http: reqwest::Client,
    admin: String,
    /// Each client's token and account ids, in registration order.
    clients: Vec<(String, Vec<String>)>,
    _database: TestDatabase,
}

impl Bank {
    async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self
            .http
            .post(self.server.url())
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.gql(token, query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response}");
        response["data"].clone()
    }

    async fn statements_so_far(&self) -> u64 {
        self.counter("minibank_db_statements_total").await.unwrap_or_else(|| panic!("no statement counter on /metrics"))
    }

    /// A counter's value on /metrics; none before its first increment.
    async fn counter(&self, name: &str) -> Option<u64> {
        let text =
            self.http.get(format!("http://{}/metrics", self.server.addr)).send().await.unwrap().text().await.unwrap();
        let line = text.lines().find(|l| l.split([' ', '{']).next() == Some(name))?;
        let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        Some(value as u64)
    }

    /// The statements one run of `query` cost, and its data. A scrape costs
    /// statements of its own (gauges read from the database), and background
    /// work (the transfer process, the live feed) can only add some, so the
    /// least of three runs, less the least a bare scrape cost, is the query's.
    async fn statements_of(&self, token: &str, query: &str, variables: Value) -> (u64, Value) {
        let mut scrape = u64::MAX;
        for _ in 0..3 {
            let before = self.statements_so_far().await;
            scrape = scrape.min(self.statements_so_far().await - before);
        }
        let mut fewest = u64::MAX;
        let mut data = Value::Null;
        for _ in 0..3 {
            let before = self.statements_so_far().await;
            data = self.ok(token, query, variables.clone()).await;
            let after = self.statements_so_far().await;
            fewest = fewest.min(after - before);
        }
        (fewest - scrape, data)
    }
}

async fn bank() -> Bank {
    let database = TestDatabase::create().await;
    let created = minibank(database.url())
        .args(["create-admin", "--username", "root", "--email", "root@example.com", "--password", PASSWORD])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let server = ServerProcess::start(database.url(), &[("JWT_SECRET", JWT_SECRET)]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut bank = Bank { server, http, admin: String::new(), clients: Vec::new(), _database: database };
    let login = "mutation($input: LoginInput!) { login(input: $input) { token } }";
    let signed_in = bank.gql("", login, json!({ "input": { "login": "root", "password": PASSWORD } })).await;
    bank.admin = signed_in["data"]["login"]["token"].as_str().unwrap().to_string();
    bank.clients = join_all((0..CLIENTS).map(|n| seed_client(&bank, n))).await;
    bank
}

/// A client with its accounts, each with a few deposits.
async fn seed_client(bank: &Bank, n: usize) -> (String, Vec<String>) {
    let register = "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token } }";
    let username = format!("client{n}");
    let input = json!({ "input": { "username": username, "email": format!("{username}@example.com"),
        "password": PASSWORD, "firstName": "Test", "lastName": username } });
    let token = bank.ok("", register, input).await["registerClient"]["token"].as_str().unwrap().to_string();
    let mut accounts = Vec::new();
    for _ in 0..ACCOUNTS_PER_CLIENT {
        let opened = bank.ok(&token, "mutation { openAccount(input: {}) { account { id } } }", json!({})).await;
        let id = opened["openAccount"]["account"]["id"].as_str().unwrap().to_string();
        for d in 1..=DEPOSITS_PER_ACCOUNT {
            let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { position } }";
            bank.ok(&token, deposit, json!({ "input": { "accountId": id, "amount": format!("{d}0.00") } })).await;
        }
        accounts.push(id);
    }
    (token, accounts)
}

#[tokio::test]
async fn nested_queries_cost_statements_by_depth_not_by_rows() {
    let bank = bank().await;

    // The query: accounts, their count, owners, transaction pages,
    // their counts: five statements for 50 accounts, and for 5. On SQLite
    // the three that read rows run inline, the two counts on the pool; on
    // PostgreSQL the transactions' counts come in the statement of their
    // rows: four.
    let inline_before = bank.counter("minibank_db_inline_statements_total").await.unwrap_or(0);
    let (statements, data) =
        bank.statements_of(&bank.admin, ACCOUNTS_WITH_OWNERS_AND_TRANSACTIONS, json!({ "first": 50 })).await;
    let inline = bank.counter("minibank_db_inline_statements_total").await.unwrap_or(0) - inline_before;
    // statements_of ran the query three times.
    assert_eq!(inline, if bank._database.is_postgres() { 0 } else { 3 * 3 }, "statements run inline");
    let accounts = &data["accounts"];
    assert_eq!(accounts["totalCount"], CLIENTS * ACCOUNTS_PER_CLIENT);
    let nodes = accounts["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 50);
    let owner_of = |account: &Value| bank.clients.iter().position(|(_, ids)| ids.iter().any(|id| *account == **id));
    for node in nodes {
        let owner = owner_of(&node["id"]).expect("one of the seeded accounts");
        assert_eq!(node["owner"]["username"], format!("client{owner}"));
        assert_eq!(node["balance"], "60.00");
        assert_eq!(node["transactions"]["totalCount"], DEPOSITS_PER_ACCOUNT);
        let amounts: Vec<&str> =
            node["transactions"]["nodes"].as_array().unwrap().iter().map(|t| t["amount"].as_str().unwrap()).collect();
        assert_eq!(amounts, ["30.00", "20.00", "10.00"], "newest first");
    }
    assert!(statements <= 5, "the 50-account query cost {statements} statements");
    assert_eq!(statements, if bank._database.is_postgres() { 4 } else { 5 });
    let (few, _) = bank.statements_of(&bank.admin, ACCOUNTS_WITH_OWNERS_AND_TRANSACTIONS, json!({ "first": 5 })).await;
    assert_eq!(few, statements, "5 accounts cost what 50 cost");

    // Each account's own events: the accounts, then one statement for every stream.
    let events = "{ accounts(first: 50) { nodes { id events(first: 2) { totalCount nodes { type version } } } } }";
    let (statements, data) = bank.statements_of(&bank.admin, events, json!({})).await;
    for node in data["accounts"]["nodes"].as_array().unwrap() {
        assert_eq!(node["events"]["totalCount"], 1 + DEPOSITS_PER_ACCOUNT, "opened, then the deposits");
        assert_eq!(
            node["events"]["nodes"],
            json!([{ "type": "AccountOpened", "version": 1 }, { "type": "MoneyDeposited", "version": 2 }])
        );
    }
    assert!(statements <= 2, "the events of 50 accounts cost {statements} statements");

    // A customer's own 5 accounts through the same query.
    let (customer, customer_accounts) = &bank.clients[3];
    let (statements, data) =
        bank.statements_of(customer, ACCOUNTS_WITH_OWNERS_AND_TRANSACTIONS, json!({ "first": 50 })).await;
    let ids: Vec<&Value> = data["accounts"]["nodes"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, customer_accounts.iter().collect::<Vec<_>>());
    assert!(statements <= 5, "a customer's query cost {statements} statements");
}

/// The simple query of issue 17: one account and its last transactions.
/// On SQLite both of its statements run inline, on the request's own thread.
#[tokio::test]
async fn one_account_with_its_transactions_costs_two_statements_run_inline_on_sqlite() {
    let bank = bank().await;
    let (customer, accounts) = &bank.clients[1];
    let query =
        "query($id: ID!) { account(id: $id) { balance transactions(first: 20) { nodes { amount balanceAfter } } } }";
    let inline_before = bank.counter("minibank_db_inline_statements_total").await.unwrap_or(0);
    let (statements, data) = bank.statements_of(customer, query, json!({ "id": accounts[0] })).await;
    let inline = bank.counter("minibank_db_inline_statements_total").await.unwrap_or(0) - inline_before;
    assert_eq!(data["account"]["balance"], "60.00");
    let balances: Vec<&str> = data["account"]["transactions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["balanceAfter"].as_str().unwrap())
        .collect();
    assert_eq!(balances, ["60.00", "30.00", "10.00"], "newest first");
    assert_eq!(statements, 2, "the account, then its page of transactions");
    // statements_of ran the query three times.
    let expected_inline = if bank._database.is_postgres() { 0 } else { 3 * 2 };
    assert_eq!(inline, expected_inline, "statements run inline");

    // Someone else's account is refused as before: no account, nothing of it read further.
    let (other, _) = &bank.clients[2];
    let refused = bank.ok(other, query, json!({ "id": accounts[0] })).await;
    assert_eq!(refused["account"], Value::Null);
}

#[tokio::test]
async fn clients_with_their_accounts_and_transactions_cost_a_statement_per_level() {
    let bank = bank().await;
    let query = "query($first: Int) { clients(first: $first) { nodes { username accounts(first: 10) { totalCount nodes { id owner { username } transactions(first: 2) { totalCount nodes { amount } } } } } } }";
    // Clients, their accounts and counts, the accounts' owners, transaction pages and counts.
    let (statements, data) = bank.statements_of(&bank.admin, query, json!({ "first": 20 })).await;
    let clients = data["clients"]["nodes"].as_array().unwrap();
    assert_eq!(clients.len(), CLIENTS + 1, "the admin and every client");
    for client in clients.iter().filter(|c| c["username"] != "root") {
        let accounts = &client["accounts"];
        assert_eq!(accounts["totalCount"], ACCOUNTS_PER_CLIENT);
        for account in accounts["nodes"].as_array().unwrap() {
            assert_eq!(account["owner"]["username"], client["username"]);
            assert_eq!(account["transactions"]["totalCount"], DEPOSITS_PER_ACCOUNT);
            assert_eq!(account["transactions"]["nodes"].as_array().unwrap().len(), 2);
        }
    }
    assert!(statements <= 6, "clients with accounts with transactions cost {statements} statements");
    let (few, _) = bank.statements_of(&bank.admin, query, json!({ "first": 2 })).await;
    assert_eq!(few, statements, "2 clients cost what 13 cost");

    // `me` with its accounts: the client, accounts and count, transaction pages and counts.
    let (customer, _) = &bank.clients[0];
    let me = "{ me { accounts { totalCount nodes { transactions(first: 5) { totalCount nodes { amount } } } } } }";
    let (statements, data) = bank.statements_of(customer, me, json!({})).await;
    assert_eq!(data["me"]["accounts"]["totalCount"], ACCOUNTS_PER_CLIENT);
    assert!(statements <= 5, "me with accounts with transactions cost {statements} statements");
}

#[tokio::test]
async fn transfers_with_both_parties_cost_a_statement_per_level() {
    let bank = bank().await;
    let transfer = "mutation($input: TransferInput!) { transfer(input: $input) { transfer { id } } }";
    for (from, to) in [(0, 1), (1, 2), (2, 0)] {
        let input = json!({ "input": { "fromAccountId": bank.clients[from].1[0], "toAccountId": bank.clients[to].1[0], "amount": "1.00" } });
        bank.ok(&bank.clients[from].0, transfer, input).await;
    }
    let query = "{ accounts(first: 50) { nodes { transactions(first: 5) { nodes { kind transfer { amount from { id owner { username } } to { id owner { username } } } } } } } }";
    let settled = |data: &Value| {
        data["accounts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["transactions"]["nodes"].as_array().unwrap().clone())
            .filter(|t| t["kind"] == "TRANSFER_IN")
            .count()
    };
    let mut waited = 0;
    while settled(&bank.ok(&bank.admin, query, json!({})).await) < 3 {
        assert!(waited < 200, "the transfers did not settle");
        waited += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Accounts, transaction pages, transfers, both parties, their owners.
    let (statements, data) = bank.statements_of(&bank.admin, query, json!({})).await;
    let transfers: Vec<&Value> = data["accounts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["transactions"]["nodes"].as_array().unwrap())
        .filter_map(|t| t["transfer"].as_object().map(|_| &t["transfer"]))
        .collect();
    assert_eq!(transfers.len(), 6, "each transfer from both sides");
    for (from, to) in [(0, 1), (1, 2), (2, 0)] {
        let seen = transfers
            .iter()
            .filter(|t| t["from"]["id"] == bank.clients[from].1[0] && t["to"]["id"] == bank.clients[to].1[0])
            .collect::<Vec<_>>();
        assert_eq!(seen.len(), 2, "transfer {from} -> {to} seen from both accounts");
        assert_eq!(seen[0]["from"]["owner"]["username"], format!("client{from}"));
        assert_eq!(seen[0]["to"]["owner"]["username"], format!("client{to}"));
    }
    assert!(statements <= 5, "transfers with both parties cost {statements} statements");
}
