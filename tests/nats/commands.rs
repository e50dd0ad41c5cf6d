//! Commands by request/reply: GraphQL's payloads, codes and authorization,
//! idempotency by commandId, and nothing written for a refused one.

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{deposit, gql, http, open_account, sign_up};
use crate::server_process::ServerProcess;
use crate::support::{Names, create_admin, logged_events, serve, shared_nats_url, sign_in};
use crate::test_database::TestDatabase;

struct Bank {
    _database: TestDatabase,
    names: Names,
    server: ServerProcess,
    nats: async_nats::Client,
    http: reqwest::Client,
    admin: String,
}

async fn bank() -> Bank {
    let database = TestDatabase::create().await;
    create_admin(database.url());
    let names = Names::on(&shared_nats_url());
    let server = serve(database.url(), &names.env(), &[]);
    let http = http();
    let admin = sign_in(&http, &server.url(), "admin").await;
    let nats = names.client().await;
    Bank { _database: database, names, server, nats, http, admin }
}

impl Bank {
    fn url(&self) -> String {
        self.server.url()
    }

    async fn send(&self, command: &str, body: Vec<u8>) -> Value {
        let subject = format!("{}.commands.{command}", self.names.prefix);
        let reply = tokio::time::timeout(Duration::from_secs(20), self.nats.request(subject, body.into()))
            .await
            .expect("answered in time")
            .expect("answered");
        serde_json::from_slice(&reply.payload).unwrap_or_else(|e| panic!("{e}: {:?}", reply.payload))
    }

    async fn command(&self, command: &str, token: &str, input: Value) -> Value {
        self.send(command, serde_json::to_vec(&json!({ "token": token, "input": input })).unwrap()).await
    }

    async fn log_length(&self) -> usize {
        logged_events(&self.http, &self.url(), &self.admin).await.len()
    }

    async fn balance(&self, token: &str, account: &str) -> String {
        let response = gql(
            &self.http,
            &self.url(),
            Some(token),
            "query($id: ID!) { account(id: $id) { balance } }",
            json!({ "id": account }),
        )
        .await;
        response["data"]["account"]["balance"].as_str().unwrap_or_else(|| panic!("{response}")).to_string()
    }
}

fn code(reply: &Value) -> &str {
    reply["error"]["code"].as_str().unwrap_or_else(|| panic!("an error reply: {reply}"))
}

fn data(reply: &Value) -> &Value {
    assert!(reply.get("error").is_none(), "{reply}");
    &reply["data"]
}

/// The payload the NATS reply carries, as a GraphQL selection.
const ACCOUNT_PAYLOAD: &str = "account { id number owner { id username email firstName lastName isCompany role createdAt version } \
     currency balance overdraftLimit availableBalance status version openedAt updatedAt } \
     events { id position streamId streamType version type schemaVersion data \
     metadata { correlationId causationId commandId actorId } recordedAt } position";

#[tokio::test]
async fn each_command_answers_with_its_graphql_payload() {
    let bank = bank().await;
    let alice = sign_up(&bank.http, &bank.url(), "alice").await;
    let bob = sign_up(&bank.http, &bank.url(), "bob").await;
    let bobs = open_account(&bank.http, &bank.url(), &bob).await;

    let opened = bank.command("openAccount", &alice, json!({ "currency": "EUR" })).await;
    let account = data(&opened)["account"].clone();
    let id = account["id"].as_str().unwrap().to_string();
    assert_eq!(account["owner"]["username"], "alice");
    assert_eq!(account["balance"], "0.00");
    assert_eq!(data(&opened)["events"][0]["type"], "AccountOpened");

    // The same command with the same commandId over GraphQL is a repeat:
    // it answers with the first run's payload, which must be the same JSON.
    let command_id = uuid::Uuid::now_v7().to_string();
    let input = json!({ "accountId": id, "amount": "100", "description": "salary", "commandId": command_id });
    let over_nats = bank.command("deposit", &alice, input.clone()).await;
    assert_eq!(data(&over_nats)["account"]["balance"], "100.00");
    let over_graphql = gql(
        &bank.http,
        &bank.url(),
        Some(&alice),
        &format!("mutation($input: MoneyInput!) {{ deposit(input: $input) {{ {ACCOUNT_PAYLOAD} }} }}"),
        json!({ "input": input }),
    )
    .await;
    assert_eq!(&over_graphql["data"]["deposit"], data(&over_nats), "the same payload as GraphQL");

    let withdrawn = bank.command("withdraw", &alice, json!({ "accountId": id, "amount": "10.5" })).await;
    assert_eq!(data(&withdrawn)["account"]["balance"], "89.50");
    assert_eq!(data(&withdrawn)["events"][0]["type"], "MoneyWithdrawn");

    let moved =
        bank.command("transfer", &alice, json!({ "fromAccountId": id, "toAccountId": bobs, "amount": "9.5" })).await;
    let transfer = &data(&moved)["transfer"];
    assert_eq!(transfer["amount"], "9.50");
    assert!(transfer["from"]["balance"].as_str().is_some(), "the sender's own account in full: {transfer}");
    assert_eq!(transfer["to"]["id"], bobs.as_str());
    assert!(transfer["to"].get("balance").is_none(), "the other side's public face only: {transfer}");
    assert_eq!(data(&moved)["events"][0]["type"], "TransferRequested");

    let admin = bank.admin.clone();
    let limited = bank.command("changeOverdraftLimit", &admin, json!({ "accountId": id, "limit": "50" })).await;
    assert_eq!(data(&limited)["account"]["overdraftLimit"], "50.00");

    let empty = bank.command("openAccount", &alice, json!({})).await;
    let empty = data(&empty)["account"]["id"].as_str().unwrap().to_string();
    let closed = bank.command("closeAccount", &alice, json!({ "accountId": empty })).await;
    assert_eq!(data(&closed)["account"]["status"], "CLOSED");
    assert!(bank.server.error_lines().is_empty(), "{:?}", bank.server.error_lines());
    bank.names.delete_stream().await;
}

#[tokio::test]
async fn refused_commands_carry_graphql_codes_and_write_nothing() {
    let bank = bank().await;
    let alice = sign_up(&bank.http, &bank.url(), "alice").await;
    let bob = sign_up(&bank.http, &bank.url(), "bob").await;
    let account = open_account(&bank.http, &bank.url(), &alice).await;
    let closed = open_account(&bank.http, &bank.url(), &alice).await;
    let reused = uuid::Uuid::now_v7().to_string();
    let first =
        bank.command("deposit", &alice, json!({ "accountId": account, "amount": "10", "commandId": reused })).await;
    data(&first);
    let closing = bank.command("closeAccount", &alice, json!({ "accountId": closed })).await;
    data(&closing);
    let before = bank.log_length().await;

    let deposit = |amount: &str| json!({ "accountId": account, "amount": amount });
    let cases: Vec<(&str, Value, &str)> = vec![
        ("no token", json!({ "input": deposit("1") }), "UNAUTHENTICATED"),
        ("a forged token", json!({ "token": "e30.e30.e30", "input": deposit("1") }), "UNAUTHENTICATED"),
        ("a token that is not a string", json!({ "token": 7, "input": deposit("1") }), "BAD_REQUEST"),
        ("no input", json!({ "token": alice }), "BAD_USER_INPUT"),
        ("an input that is not an object", json!({ "token": alice, "input": "100" }), "BAD_USER_INPUT"),
        ("a negative amount", json!({ "token": alice, "input": deposit("-5") }), "BAD_USER_INPUT"),
        (
            "a number for an amount",
            json!({ "token": alice, "input": { "accountId": account, "amount": 5 } }),
            "BAD_USER_INPUT",
        ),
        (
            "a NUL in the description",
            json!({ "token": alice, "input": { "accountId": account, "amount": "1", "description": "a\u{0}b" } }),
            "BAD_USER_INPUT",
        ),
        ("another customer's account", json!({ "token": bob, "input": deposit("1") }), "NOT_FOUND"),
        (
            "a closed account",
            json!({ "token": alice, "input": { "accountId": closed, "amount": "1" } }),
            "ACCOUNT_CLOSED",
        ),
        (
            "a stale expectedVersion",
            json!({ "token": alice, "input": { "accountId": account, "amount": "1", "expectedVersion": 1 } }),
            "CONFLICT",
        ),
        (
            "a commandId reused with other input",
            json!({ "token": alice, "input": { "accountId": account, "amount": "11", "commandId": reused } }),
            "CONFLICT",
        ),
    ];
    for (case, body, expected) in &cases {
        let reply = bank.send("deposit", serde_json::to_vec(body).unwrap()).await;
        assert_eq!(code(&reply), *expected, "{case}: {reply}");
        assert!(reply["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{case}: {reply}");
    }
    let negative = bank.command("deposit", &alice, deposit("-5")).await;
    assert_eq!(negative["error"]["field"], "amount", "{negative}");
    let overdrawn = bank.command("withdraw", &alice, json!({ "accountId": account, "amount": "1000" })).await;
    assert_eq!(code(&overdrawn), "INSUFFICIENT_FUNDS");
    let not_admin = bank.command("changeOverdraftLimit", &alice, json!({ "accountId": account, "limit": "10" })).await;
    assert_eq!(code(&not_admin), "FORBIDDEN");
    let not_empty = bank.command("closeAccount", &alice, json!({ "accountId": account })).await;
    assert_eq!(code(&not_empty), "ACCOUNT_NOT_EMPTY");

    // Poison: bytes that are not JSON, JSON that is not a request, names
    // that are not commands, and input nested past the guard's bound.
    for body in [&b"{\"token\":"[..], b"\xff\xfe", b"[1,2]", b"null", b""] {
        assert_eq!(code(&bank.send("deposit", body.to_vec()).await), "BAD_REQUEST", "{body:?}");
    }
    for name in ["registerClient", "login", "nope", "deposit.again"] {
        let reply = bank.command(name, &alice, deposit("1")).await;
        assert_eq!(code(&reply), "BAD_REQUEST", "{name}: {reply}");
    }
    let deep = (0..100).fold(json!(1), |inner, _| json!([inner]));
    let nested =
        bank.command("deposit", &alice, json!({ "accountId": account, "amount": "1", "description": deep })).await;
    assert_eq!(code(&nested), "QUERY_TOO_COMPLEX", "{nested}");

    // A valid command with nowhere to answer is dropped unread.
    let subject = format!("{}.commands.deposit", bank.names.prefix);
    let body = serde_json::to_vec(&json!({ "token": alice, "input": deposit("1") })).unwrap();
    bank.nats.publish(subject, body.into()).await.unwrap();
    bank.nats.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(bank.log_length().await, before, "nothing was written");
    assert_eq!(bank.balance(&alice, &account).await, "10.00");
    assert!(
        bank.server.later_log().iter().any(|line| line.contains("without a reply subject")),
        "the dropped request is logged"
    );
    assert!(bank.server.error_lines().is_empty(), "{:?}", bank.server.error_lines());
    bank.names.delete_stream().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_id_sent_ten_times_at_once_has_one_effect() {
    let bank = bank().await;
    let alice = sign_up(&bank.http, &bank.url(), "alice").await;
    let account = open_account(&bank.http, &bank.url(), &alice).await;
    assert!(deposit(&bank.http, &bank.url(), &alice, &account, "5").await["errors"].is_null());
    let before = bank.log_length().await;
    let command_id = uuid::Uuid::now_v7().to_string();
    let input = json!({ "accountId": account, "amount": "7", "commandId": command_id });
    let replies = futures::future::join_all((0..10).map(|_| bank.command("deposit", &alice, input.clone()))).await;
    for reply in &replies {
        assert_eq!(data(reply), data(&replies[0]), "every repeat answers as the first run");
    }
    assert_eq!(data(&replies[0])["account"]["balance"], "12.00");
    assert_eq!(bank.log_length().await, before + 1, "one event");
    assert_eq!(bank.balance(&alice, &account).await, "12.00");
    bank.names.delete_stream().await;
}
