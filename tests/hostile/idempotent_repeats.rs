//! A repeated `commandId` returns the first result: the whole payload (the
//! account or transfer as the first run left it, its events, its position),
//! however much happened since, and records nothing. The same id with other
//! input stays CONFLICT.

use serde_json::{Value, json};

use crate::support::{Target, code};

const ACCOUNT: &str =
    "account { id number currency balance overdraftLimit availableBalance status version openedAt updatedAt }";
const EVENTS: &str = "events { id position streamId streamType version type schemaVersion data recordedAt metadata { correlationId causationId commandId actorId } }";

fn account_mutation(field: &str, input: &str) -> String {
    format!("mutation($input: {input}!) {{ {field}(input: $input) {{ {ACCOUNT} {EVENTS} position }} }}")
}

/// Sends `input` with `command_id` as `field`, returns the payload (it must succeed).
async fn send(target: &Target, token: &str, field: &str, input_type: &str, input: Value) -> Value {
    let data = target.ok(Some(token), &account_mutation(field, input_type), json!({ "input": input })).await;
    data[field].clone()
}

fn with_id(mut input: Value, command_id: &str) -> Value {
    input["commandId"] = json!(command_id);
    input
}

/// The reproduction: X → 109.00, another deposit → 114.00, X again →
/// the first answer exactly (109.00 at its version), and 114.00 stays.
async fn the_repeat_is_the_first_answer(field: &str, first_amount: &str, then: &str, first_balance: &str, now: &str) {
    let mut target = Target::start().await;
    let x = uuid::Uuid::now_v7().to_string();
    let input = json!({ "accountId": target.account, "amount": first_amount, "description": "rent" });
    let first = send(&target, &target.alice.token, field, "MoneyInput", with_id(input.clone(), &x)).await;
    assert_eq!(first["account"]["balance"], first_balance);
    let other = json!({ "accountId": target.account, "amount": then });
    let second = send(&target, &target.alice.token, "deposit", "MoneyInput", other).await;
    assert_eq!(second["account"]["balance"], now);
    assert_eq!(second["account"]["version"], first["account"]["version"].as_i64().unwrap() + 1);
    let before = target.ledger().await;

    let repeat = send(&target, &target.alice.token, field, "MoneyInput", with_id(input.clone(), &x)).await;
    assert_eq!(repeat, first, "the whole payload of a repeat is the first answer");
    assert_eq!(target.ledger().await, before, "a repeat records nothing");
    let account = target
        .ok(
            Some(&target.alice.token),
            "query($id: ID!) { account(id: $id) { balance } }",
            json!({ "id": target.account }),
        )
        .await;
    assert_eq!(account["account"]["balance"], now);

    let reused = target
        .gql(
            Some(&target.alice.token),
            &account_mutation(field, "MoneyInput"),
            json!({ "input": with_id(json!({ "accountId": target.account, "amount": "1.00" }), &x) }),
        )
        .await;
    assert_eq!(code(&reused), Some("CONFLICT"), "{reused}");
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}

#[tokio::test]
async fn a_repeated_deposit_returns_the_first_result() {
    the_repeat_is_the_first_answer("deposit", "9.00", "5.00", "109.00", "114.00").await;
}

#[tokio::test]
async fn a_repeated_withdrawal_returns_the_first_result() {
    the_repeat_is_the_first_answer("withdraw", "9.00", "5.00", "91.00", "96.00").await;
}

#[tokio::test]
async fn repeats_of_the_other_account_mutations_return_the_first_result() {
    let mut target = Target::start().await;
    let (admin, alice) = (target.admin.token.clone(), target.alice.token.clone());

    // openAccount: the account as opened, not as it is after a deposit.
    let x = uuid::Uuid::now_v7().to_string();
    let opened = send(&target, &alice, "openAccount", "OpenAccountInput", json!({ "commandId": x })).await;
    let id = opened["account"]["id"].as_str().unwrap().to_string();
    target.money(&target.alice, "deposit", &id, "7.00").await;
    let before = target.ledger().await;
    let repeat = send(&target, &alice, "openAccount", "OpenAccountInput", json!({ "commandId": x })).await;
    assert_eq!(repeat, opened);
    assert_eq!(repeat["account"]["balance"], "0.00");
    assert_eq!(target.ledger().await, before, "no second account");

    // changeOverdraftLimit: 50 first, 80 later; the repeat still says 50.
    let x = uuid::Uuid::now_v7().to_string();
    let limit = |value: &str| json!({ "accountId": target.account, "limit": value });
    let first =
        send(&target, &admin, "changeOverdraftLimit", "ChangeOverdraftLimitInput", with_id(limit("50.00"), &x)).await;
    assert_eq!(first["account"]["overdraftLimit"], "50.00");
    send(&target, &admin, "changeOverdraftLimit", "ChangeOverdraftLimitInput", limit("80.00")).await;
    let before = target.ledger().await;
    let repeat =
        send(&target, &admin, "changeOverdraftLimit", "ChangeOverdraftLimitInput", with_id(limit("50.00"), &x)).await;
    assert_eq!(repeat, first);
    assert_eq!(target.ledger().await, before, "the limit stays 80.00");
    let reused = target
        .gql(
            Some(&admin),
            &account_mutation("changeOverdraftLimit", "ChangeOverdraftLimitInput"),
            json!({ "input": with_id(limit("60.00"), &x) }),
        )
        .await;
    assert_eq!(code(&reused), Some("CONFLICT"), "{reused}");

    // closeAccount: a repeat is the first answer, not ACCOUNT_CLOSED.
    let empty = target.open_account(&target.alice).await;
    let x = uuid::Uuid::now_v7().to_string();
    let close = json!({ "accountId": empty, "commandId": x });
    let closed = send(&target, &alice, "closeAccount", "CloseAccountInput", close.clone()).await;
    assert_eq!(closed["account"]["status"], "CLOSED");
    let before = target.ledger().await;
    assert_eq!(send(&target, &alice, "closeAccount", "CloseAccountInput", close).await, closed);
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}

/// A change that changed nothing (the limit the account has already) keeps
/// its commandId all the same: after the limit moved on, its repeat answers
/// as the first run did, and does not set the limit back.
#[tokio::test]
async fn a_repeated_change_that_changed_nothing_returns_the_first_result() {
    let mut target = Target::start().await;
    let admin = target.admin.token.clone();
    let input = "ChangeOverdraftLimitInput";
    let limit = |value: &str| json!({ "accountId": target.account, "limit": value });
    let set = send(&target, &admin, "changeOverdraftLimit", input, limit("50.00")).await;
    let k = uuid::Uuid::now_v7().to_string();
    let first = send(&target, &admin, "changeOverdraftLimit", input, with_id(limit("50.00"), &k)).await;
    assert_eq!(first["events"], json!([]), "nothing to change: {first}");
    assert_eq!(first["account"], set["account"], "the account as it was found");
    assert_eq!(first["position"], set["position"]);
    let moved = send(&target, &admin, "changeOverdraftLimit", input, limit("80.00")).await;
    assert_eq!(moved["account"]["version"], set["account"]["version"].as_i64().unwrap() + 1);
    let before = target.ledger().await;

    let repeat = send(&target, &admin, "changeOverdraftLimit", input, with_id(limit("50.00"), &k)).await;
    assert_eq!(repeat, first, "the whole payload of a repeat is the first answer");
    assert_eq!(target.ledger().await, before, "a repeat records nothing");
    let now = target
        .ok(
            Some(&admin),
            "query($id: ID!) { account(id: $id) { overdraftLimit version } }",
            json!({ "id": target.account }),
        )
        .await;
    assert_eq!(now["account"]["overdraftLimit"], "80.00", "the repeat did not set the limit back");
    assert_eq!(now["account"]["version"], moved["account"]["version"]);

    let reused = target
        .gql(
            Some(&admin),
            &account_mutation("changeOverdraftLimit", input),
            json!({ "input": with_id(limit("80.00"), &k) }),
        )
        .await;
    assert_eq!(code(&reused), Some("CONFLICT"), "{reused}");
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}

const TRANSFER: &str = "mutation($input: TransferInput!) { transfer(input: $input) { transfer { id amount description status failureReason requestedAt completedAt } events { id position streamId type data metadata { correlationId commandId } } } }";

#[tokio::test]
async fn a_repeated_transfer_returns_the_first_result() {
    let mut target = Target::start().await;
    let bob = target.register("bob").await;
    let bobs = target.open_account(&bob).await;
    let x = uuid::Uuid::now_v7().to_string();
    let input = json!({ "fromAccountId": target.account, "toAccountId": bobs, "amount": "30.00", "description": "book", "commandId": x });
    let first = target.ok(Some(&target.alice.token), TRANSFER, json!({ "input": input })).await["transfer"].clone();
    let settled = settled_transfer(&target, &first["transfer"]["id"]).await;
    assert_eq!(settled["status"], "COMPLETED", "{settled}");
    // Later movements on both accounts change nothing in the repeat.
    target.money(&target.alice, "deposit", &target.account, "3.00").await;
    target.money(&bob, "withdraw", &bobs, "4.00").await;
    let before = target.ledger().await;

    let repeat = target.ok(Some(&target.alice.token), TRANSFER, json!({ "input": input })).await["transfer"].clone();
    assert_eq!(repeat["transfer"], settled, "the transfer with its outcome");
    if first["transfer"]["status"] == "PENDING" {
        // Settled after the first answer's wait (a loaded machine): that
        // answer said PENDING, and a repeat after the settlement shows the
        // outcome: the first answer's events, then those of the settlement.
        let (told, now) = (first["events"].as_array().unwrap(), repeat["events"].as_array().unwrap());
        assert!(now.len() > told.len() && now[..told.len()] == told[..], "first {first}, repeat {repeat}");
        let request = &told[0]["metadata"]["correlationId"];
        assert!(now.iter().all(|e| &e["metadata"]["correlationId"] == request), "{repeat}");
        assert!(now.iter().any(|e| e["type"] == "TransferCompleted"), "{repeat}");
    } else {
        assert_eq!(repeat, first, "the whole payload of a repeat is the first answer");
    }
    assert_eq!(target.ledger().await, before, "debited once");

    // Bob sees his own side of it only; his repeat of alice's id is another caller's: CONFLICT.
    let stolen = target.gql(Some(&bob.token), TRANSFER, json!({ "input": input })).await;
    assert_eq!(code(&stolen), Some("CONFLICT"), "{stolen}");
    let mut other = input.clone();
    other["amount"] = json!("31.00");
    let reused = target.gql(Some(&target.alice.token), TRANSFER, json!({ "input": other })).await;
    assert_eq!(code(&reused), Some("CONFLICT"), "{reused}");
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}

/// The transfer once the process manager has settled it: waits on that
/// condition (bounded), as fast or slow as the machine is.
async fn settled_transfer(target: &Target, id: &Value) -> Value {
    let query =
        "query($id: ID!) { transfer(id: $id) { id amount description status failureReason requestedAt completedAt } }";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let data = target.ok(Some(&target.alice.token), query, json!({ "id": id })).await;
        if data["transfer"]["status"] != "PENDING" || std::time::Instant::now() > deadline {
            return data["transfer"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
