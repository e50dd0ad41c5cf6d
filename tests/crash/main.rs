//! Crash safety of transfers with a real process: the server aborts right
//! after a named step commits (`MINIBANK_CRASH_AFTER`, test-only), is started
//! again on the same database, and every transfer still ends COMPLETED or
//! FAILED with no money created or destroyed and no step applied twice.

use test_support::graphql as client;
use test_support::server_process;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use client::{JWT_SECRET, deposit, gql, http, open_account, sign_up};
use server_process::ServerProcess;

const ENV: (&str, &str) = ("JWT_SECRET", JWT_SECRET);

struct Bank {
    url: String,
    _dir: tempfile::TempDir,
}

fn bank() -> Bank {
    let dir = tempfile::tempdir().unwrap();
    Bank { url: format!("sqlite://{}?mode=rwc", dir.path().join("bank.db").display()), _dir: dir }
}

async fn transactions(http: &reqwest::Client, server: &ServerProcess, token: &str, account: &str) -> Vec<Value> {
    let data = gql(
        http,
        &server.url(),
        Some(token),
        "query($id: ID!) { account(id: $id) { balance transactions(first: 100) { nodes { kind amount transferId } } } }",
        json!({ "id": account }),
    )
    .await;
    data["data"]["account"]["transactions"]["nodes"].as_array().unwrap_or_else(|| panic!("{data}")).clone()
}

async fn balance(http: &reqwest::Client, server: &ServerProcess, token: &str, account: &str) -> f64 {
    let data = gql(
        http,
        &server.url(),
        Some(token),
        "query($id: ID!) { account(id: $id) { balance } }",
        json!({ "id": account }),
    )
    .await;
    data["data"]["account"]["balance"].as_str().unwrap().parse().unwrap()
}

/// How long a condition may take to come true before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `probe` until it returns something, failing with `what` after [`PATIENCE`].
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "{what} within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the transfer is settled (the restarted process manager works from its checkpoint).
async fn settled(http: &reqwest::Client, server: &ServerProcess, token: &str, transfer: &str) -> Value {
    eventually(&format!("transfer {transfer} settled"), || async {
        let data = gql(
            http,
            &server.url(),
            Some(token),
            "query($id: ID!) { transfer(id: $id) { status failureReason } }",
            json!({ "id": transfer }),
        )
        .await;
        (data["data"]["transfer"]["status"] != "PENDING").then(|| data["data"]["transfer"].clone())
    })
    .await
}

/// The position of the transfer's request in the log.
async fn requested_at(http: &reqwest::Client, server: &ServerProcess, token: &str, transfer: &str) -> i64 {
    let data = gql(
        http,
        &server.url(),
        Some(token),
        "query($ids: [ID!]) { events(filter: { streamIds: $ids, types: [\"TransferRequested\"] }) { nodes { position } } }",
        json!({ "ids": [transfer] }),
    )
    .await;
    let position = data["data"]["events"]["nodes"][0]["position"].as_str().unwrap_or_else(|| panic!("{data}"));
    position.parse().unwrap()
}

/// Waits until the restarted process manager has handled the transfer's
/// request again: its checkpoint (the log's head less its lag, as `/metrics`
/// shows them) moves past the request only once the request is settled, so
/// whatever a second settlement would apply is applied by then.
async fn handled_again(http: &reqwest::Client, server: &ServerProcess, token: &str, transfer: &str) {
    let request = requested_at(http, server, token, transfer).await;
    let metrics = format!("http://{}/metrics", server.addr);
    eventually("the process manager's checkpoint past the request", || async {
        let text = http.get(&metrics).send().await.ok()?.text().await.ok()?;
        let head = sample(&text, "minibank_event_log_head_position ")?;
        let lag = sample(&text, "minibank_follower_lag_events{follower=\"transfer_process\"} ")?;
        (head - lag >= request).then_some(())
    })
    .await;
}

/// The value of the sample whose line starts with `series` (name, labels and a space).
fn sample(metrics: &str, series: &str) -> Option<i64> {
    let value: f64 = metrics.lines().find_map(|line| line.strip_prefix(series))?.trim().parse().ok()?;
    Some(value as i64)
}

fn count(rows: &[Value], kind: &str) -> usize {
    rows.iter().filter(|r| r["kind"] == kind).count()
}

fn crashed(server: &mut ServerProcess) {
    let status = server.wait_for_exit(Duration::from_secs(30));
    assert!(!status.success(), "the fault injection aborted the process: {status:?}");
}

async fn transfer(http: &reqwest::Client, server: &ServerProcess, token: &str, from: &str, to: &str) -> Value {
    gql(
        http,
        &server.url(),
        Some(token),
        "mutation($i: TransferInput!) { transfer(input: $i) { transfer { id status } } }",
        json!({ "i": { "fromAccountId": from, "toAccountId": to, "amount": "30" } }),
    )
    .await
}

/// Alice with a funded source (100.00) and an empty destination.
async fn two_accounts(http: &reqwest::Client, server: &ServerProcess) -> (String, String, String) {
    let token = sign_up(http, &server.url(), "alice").await;
    let from = open_account(http, &server.url(), &token).await;
    let to = open_account(http, &server.url(), &token).await;
    let funded = deposit(http, &server.url(), &token, &from, "100").await;
    assert!(funded.get("errors").is_none(), "{funded}");
    (token, from, to)
}

#[tokio::test]
async fn a_crash_right_after_the_request_commits_still_completes_the_transfer_once() {
    let bank = bank();
    let http = http();
    let mut first = ServerProcess::start(&bank.url, &[ENV, ("MINIBANK_CRASH_AFTER", "transfer-requested")]);
    let (token, from, to) = two_accounts(&http, &first).await;
    let lost = transfer(&http, &first, &token, &from, &to).await;
    assert!(lost.get("transport").is_some(), "the process died before answering: {lost}");
    crashed(&mut first);

    let second = ServerProcess::start(&bank.url, &[ENV]);
    let debits = transactions(&http, &second, &token, &from).await;
    assert_eq!(count(&debits, "TRANSFER_OUT"), 1, "the request committed before the crash");
    let id = debits[0]["transferId"].as_str().unwrap().to_string();
    assert_eq!(settled(&http, &second, &token, &id).await["status"], "COMPLETED");
    assert_eq!(count(&transactions(&http, &second, &token, &to).await, "TRANSFER_IN"), 1);
    assert_eq!(balance(&http, &second, &token, &from).await, 70.0);
    assert_eq!(balance(&http, &second, &token, &to).await, 30.0);
}

#[tokio::test]
async fn a_crash_right_after_completion_commits_applies_nothing_twice() {
    let bank = bank();
    let http = http();
    let mut first = ServerProcess::start(&bank.url, &[ENV, ("MINIBANK_CRASH_AFTER", "transfer-completed")]);
    let (token, from, to) = two_accounts(&http, &first).await;
    transfer(&http, &first, &token, &from, &to).await;
    crashed(&mut first);

    // The checkpoint did not move: the restarted process manager sees the
    // request again, finds the transfer done, and does nothing.
    let second = ServerProcess::start(&bank.url, &[ENV]);
    let debits = transactions(&http, &second, &token, &from).await;
    let id = debits[0]["transferId"].as_str().unwrap().to_string();
    assert_eq!(settled(&http, &second, &token, &id).await["status"], "COMPLETED");
    handled_again(&http, &second, &token, &id).await;
    assert_eq!(count(&transactions(&http, &second, &token, &to).await, "TRANSFER_IN"), 1, "credited once");
    assert_eq!(count(&transactions(&http, &second, &token, &from).await, "TRANSFER_OUT"), 1);
    assert_eq!(balance(&http, &second, &token, &from).await + balance(&http, &second, &token, &to).await, 100.0);
}

#[tokio::test]
async fn a_crash_right_after_a_refund_commits_refunds_once() {
    let bank = bank();
    let http = http();
    // Requested while nobody settles, then the destination closes.
    let mut paused = ServerProcess::start(&bank.url, &[ENV, ("TRANSFER_PROCESS", "false")]);
    let (token, from, to) = two_accounts(&http, &paused).await;
    let requested = transfer(&http, &paused, &token, &from, &to).await;
    let id =
        requested["data"]["transfer"]["transfer"]["id"].as_str().unwrap_or_else(|| panic!("{requested}")).to_string();
    let closed = gql(
        &http,
        &paused.url(),
        Some(&token),
        "mutation($id: ID!) { closeAccount(input: { accountId: $id }) { account { status } } }",
        json!({ "id": to }),
    )
    .await;
    assert_eq!(closed["data"]["closeAccount"]["account"]["status"], "CLOSED", "{closed}");
    drop(paused.child.kill());
    paused.wait_for_exit(Duration::from_secs(10));

    let mut refunding = ServerProcess::start(&bank.url, &[ENV, ("MINIBANK_CRASH_AFTER", "transfer-failed")]);
    crashed(&mut refunding);
    let last = ServerProcess::start(&bank.url, &[ENV]);
    let outcome = settled(&http, &last, &token, &id).await;
    assert_eq!(outcome["status"], "FAILED");
    assert_eq!(outcome["failureReason"], "ACCOUNT_CLOSED");
    handled_again(&http, &last, &token, &id).await;
    let rows = transactions(&http, &last, &token, &from).await;
    assert_eq!(count(&rows, "TRANSFER_REFUND"), 1, "refunded once");
    assert_eq!(balance(&http, &last, &token, &from).await, 100.0, "no money created or destroyed");
}

/// kill -9 while deposits stream in from eight clients at once (so commits
/// are grouped): after a restart, every acknowledged deposit is there, and
/// each deposit is wholly there or wholly absent: an account's balance is
/// the sum of its movements, and its version counts its events.
/// Acknowledged deposits (of eight depositors) before the kill.
const KILL_AFTER_DEPOSITS: u32 = 64;

#[tokio::test]
async fn a_kill_during_group_commits_keeps_every_acknowledged_deposit_and_no_half_of_any() {
    let bank = bank();
    let http = http();
    let server = ServerProcess::start(&bank.url, &[ENV]);
    let token = sign_up(&http, &server.url(), "dora").await;
    let mut accounts = Vec::new();
    for _ in 0..8 {
        accounts.push(open_account(&http, &server.url(), &token).await);
    }
    let url = server.url();
    let answered = Arc::new(AtomicU32::new(0));
    let depositors: Vec<_> = accounts
        .iter()
        .map(|account| {
            let (http, url, token, account) = (http.clone(), url.clone(), token.clone(), account.clone());
            let answered = answered.clone();
            tokio::spawn(async move {
                let mut acknowledged = 0u32;
                loop {
                    let answer = tokio::time::timeout(
                        Duration::from_secs(5),
                        gql(
                            &http,
                            &url,
                            Some(&token),
                            "mutation($input: MoneyInput!) { deposit(input: $input) { position } }",
                            json!({ "input": { "accountId": account, "amount": "1.00" } }),
                        ),
                    )
                    .await;
                    match answer {
                        Ok(answer) if answer["data"]["deposit"]["position"].is_string() => {
                            acknowledged += 1;
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => return acknowledged,
                    }
                }
            })
        })
        .collect();
    // Killed once every depositor is in full swing, so commits are being grouped.
    eventually("deposits acknowledged under load", || async {
        (answered.load(Ordering::Relaxed) >= KILL_AFTER_DEPOSITS).then_some(())
    })
    .await;
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let mut acknowledged = Vec::new();
    for depositor in depositors {
        acknowledged.push(depositor.await.unwrap());
    }
    assert!(acknowledged.iter().sum::<u32>() > 8, "the load was running when the server died: {acknowledged:?}");

    let server = ServerProcess::start(&bank.url, &[ENV]);
    for (account, acknowledged) in accounts.iter().zip(acknowledged) {
        let data = gql(
            &http,
            &server.url(),
            Some(&token),
            "query($id: ID!) { account(id: $id) { balance version transactions { totalCount } } }",
            json!({ "id": account }),
        )
        .await;
        let account = &data["data"]["account"];
        let movements = account["transactions"]["totalCount"].as_u64().unwrap_or_else(|| panic!("{data}")) as u32;
        let balance: f64 = account["balance"].as_str().unwrap().parse().unwrap();
        assert!(movements >= acknowledged, "{movements} deposits kept, {acknowledged} acknowledged");
        assert!(movements <= acknowledged + 1, "at most the one in flight beyond those acknowledged: {movements}");
        assert_eq!(balance, f64::from(movements), "the balance is the sum of the movements");
        assert_eq!(account["version"], movements + 1, "one event per deposit after the opening");
    }
}
