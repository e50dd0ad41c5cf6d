//! Ids of the wrong kind (a client's or a transfer's id where an account's is
//! expected, an account's where a client's is) are, to every operation, ids
//! that do not exist: the same code and message as a random UUID, nothing
//! written, nothing logged as a server error — so an answer never tells
//! that the id exists.

use serde_json::{Value, json};

use crate::support::{Target, code};

/// Every field of an answer a client could tell apart: the data, and each
/// error's code and message (paths and locations are the same query's anyway).
fn face(response: &Value) -> Value {
    let errors: Vec<Value> = response["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| json!([e["extensions"]["code"], e["message"]])).collect())
        .unwrap_or_default();
    json!({ "data": response["data"], "errors": errors })
}

struct Probe {
    name: &'static str,
    query: &'static str,
    /// Who asks: the admin sees every account, so nothing but the id's kind
    /// can make the answer NOT_FOUND; alice asks as a customer.
    as_admin: bool,
    /// Is the answer to an unknown id an error (mutations) or null (queries)?
    not_found: bool,
}

const ACCOUNT_PROBES: &[Probe] = &[
    Probe {
        name: "deposit",
        query: r#"mutation($id: ID!) { deposit(input: { accountId: $id, amount: "1.00" }) { position } }"#,
        as_admin: false,
        not_found: true,
    },
    Probe {
        name: "deposit (admin)",
        query: r#"mutation($id: ID!) { deposit(input: { accountId: $id, amount: "1.00" }) { position } }"#,
        as_admin: true,
        not_found: true,
    },
    Probe {
        name: "withdraw",
        query: r#"mutation($id: ID!) { withdraw(input: { accountId: $id, amount: "1.00" }) { position } }"#,
        as_admin: true,
        not_found: true,
    },
    Probe {
        name: "closeAccount",
        query: r#"mutation($id: ID!) { closeAccount(input: { accountId: $id }) { position } }"#,
        as_admin: true,
        not_found: true,
    },
    Probe {
        name: "changeOverdraftLimit",
        query: r#"mutation($id: ID!) { changeOverdraftLimit(input: { accountId: $id, limit: "50.00" }) { position } }"#,
        as_admin: true,
        not_found: true,
    },
    Probe {
        name: "transfer from",
        query: r#"mutation($id: ID!, $account: ID!) { transfer(input: { fromAccountId: $id, toAccountId: $account, amount: "1.00" }) { transfer { id } } }"#,
        as_admin: true,
        not_found: true,
    },
    Probe {
        name: "transfer to",
        query: r#"mutation($id: ID!, $account: ID!) { transfer(input: { fromAccountId: $account, toAccountId: $id, amount: "1.00" }) { transfer { id } } }"#,
        as_admin: false,
        not_found: true,
    },
    Probe {
        name: "accountAt",
        query: "query($id: ID!) { accountAt(id: $id) { balance version } }",
        as_admin: true,
        not_found: false,
    },
    Probe {
        name: "accountAt(version)",
        query: "query($id: ID!) { accountAt(id: $id, version: 1) { balance version } }",
        as_admin: true,
        not_found: false,
    },
    Probe {
        name: "accountAt(at)",
        query: r#"query($id: ID!) { accountAt(id: $id, at: "2100-01-01T00:00:00Z") { balance version } }"#,
        as_admin: true,
        not_found: false,
    },
    Probe {
        name: "account",
        query: "query($id: ID!) { account(id: $id) { id balance } }",
        as_admin: true,
        not_found: false,
    },
];

async fn ask(target: &Target, probe: &Probe, id: &str) -> Value {
    let token = if probe.as_admin { &target.admin.token } else { &target.alice.token };
    target.gql(Some(token), probe.query, json!({ "id": id, "account": target.account })).await
}

/// Asks each probe with each id and expects the answer to a random UUID.
async fn expect_unknown(target: &Target, probes: &[Probe], ids: &[(&str, &str)]) {
    for probe in probes {
        let unknown = ask(target, probe, &uuid::Uuid::now_v7().to_string()).await;
        if probe.not_found {
            assert_eq!(code(&unknown), Some("NOT_FOUND"), "{}: {unknown}", probe.name);
        } else {
            assert!(unknown.get("errors").is_none(), "{}: {unknown}", probe.name);
        }
        for (kind, id) in ids {
            let answer = ask(target, probe, id).await;
            assert_eq!(face(&answer), face(&unknown), "{} given {kind}: {answer}", probe.name);
        }
    }
}

/// No ERROR line in the server's log: a wrong id is the client's mistake.
async fn assert_no_error_logged(target: &mut Target) {
    // The lines of the requests above are read from the pipe as they come.
    target.assert_serves().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let errors = target.server.error_lines();
    assert!(errors.is_empty(), "the server logged errors: {errors:#?}");
}

#[tokio::test]
async fn a_client_or_transfer_id_is_an_unknown_account() {
    let mut target = Target::start().await;
    let (bob, _, transfer) = target.transfer_to_bob().await;
    let before = target.ledger().await;
    let ids = [
        ("alice's client id", target.alice.id.as_str()),
        ("bob's client id", bob.id.as_str()),
        ("a transfer id", transfer.as_str()),
    ];
    expect_unknown(&target, ACCOUNT_PROBES, &ids).await;
    assert_eq!(target.ledger().await, before, "nothing was written");
    assert_no_error_logged(&mut target).await;
}

#[tokio::test]
async fn an_account_or_transfer_id_is_an_unknown_client_or_transfer() {
    let mut target = Target::start().await;
    let (_, bobs, transfer) = target.transfer_to_bob().await;
    let before = target.ledger().await;
    let owner_probes = [
        Probe {
            name: "openAccount(ownerId)",
            query: "mutation($id: ID!) { openAccount(input: { ownerId: $id }) { account { id } } }",
            as_admin: true,
            not_found: true,
        },
        Probe { name: "client", query: "query($id: ID!) { client(id: $id) { id } }", as_admin: true, not_found: false },
    ];
    let ids = [
        ("alice's account id", target.account.as_str()),
        ("bob's account id", bobs.as_str()),
        ("a transfer id", transfer.as_str()),
    ];
    expect_unknown(&target, &owner_probes, &ids).await;
    let transfer_probe = [Probe {
        name: "transfer",
        query: "query($id: ID!) { transfer(id: $id) { id } }",
        as_admin: true,
        not_found: false,
    }];
    let ids = [("an account id", target.account.as_str()), ("a client id", target.alice.id.as_str())];
    expect_unknown(&target, &transfer_probe, &ids).await;
    assert_eq!(target.ledger().await, before, "nothing was written");
    assert_no_error_logged(&mut target).await;
}

/// Snapshots are kept per stream; one of another type under the id must not
/// be mistaken for the account's, nor make a replay fail.
#[tokio::test]
async fn with_snapshots_after_every_event_a_wrong_kind_is_still_unknown() {
    let mut target = Target::start_with(&[("SNAPSHOT_EVERY", "1")]).await;
    let (bob, _, transfer) = target.transfer_to_bob().await;
    let before = target.ledger().await;
    let ids = [("bob's client id", bob.id.as_str()), ("a transfer id", transfer.as_str())];
    expect_unknown(&target, ACCOUNT_PROBES, &ids).await;
    assert_eq!(target.ledger().await, before, "nothing was written");
    assert_no_error_logged(&mut target).await;
}
