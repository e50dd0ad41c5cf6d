//! What the fuzzer found, kept as plain tests: each of these failed once.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Target, code};

#[tokio::test]
async fn a_required_variable_left_out_is_bad_user_input_and_nothing_runs() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { account { balance } } }";
    let token = Some(target.alice.token.as_str());
    for (query, variables) in [
        (deposit, json!({})),
        ("query($id: ID!) { account(id: $id) { id } }", json!({})),
        ("query($id: ID!) { account(id: $id) { id } }", json!({ "other": "x" })),
    ] {
        let body = target.gql(token, query, variables).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{query}: {body}");
    }
    // A document the server keeps once it validated, then sent without its variable.
    let refused = json!({ "input": { "accountId": target.account, "amount": "1e3" } });
    assert_eq!(code(&target.gql(token, deposit, refused).await), Some("BAD_USER_INPUT"));
    let body = target.gql(token, deposit, json!({})).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("$input"), "{body}");

    target.assert_serves().await;
    assert_eq!(target.ledger().await, before, "nothing was written");
    assert_eq!(target.server.error_lines(), Vec::<String>::new(), "nothing logged as an error");
}

#[tokio::test]
async fn a_refused_oversized_body_closes_its_connection_and_says_so() {
    let mut target = Target::start().await;
    let mut socket = tokio::net::TcpStream::connect(&target.server.addr).await.unwrap();
    let head = "POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&[b' '; 4096]).await.unwrap();
    let mut answer = Vec::new();
    // The server closes the connection after its answer.
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await.unwrap().ok();
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 413"), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "a keep-alive client must not reuse it: {answer}");
    target.assert_serves().await;
}

#[tokio::test]
async fn a_huge_name_is_refused_before_the_validator_spells_it_out() {
    let mut target = Target::start().await;
    for query in [
        format!("{{ {} }}", "a".repeat(900_000)),
        format!("{{ me({}: 1) {{ id }} }}", "b".repeat(900_000)),
        format!("query {{ __typename }} fragment {} on Query {{ __typename }}", "c".repeat(900_000)),
    ] {
        let started = Instant::now();
        let (status, body) = target.post(None, &query, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
        assert!(body.to_string().len() < 1_000, "the answer does not quote the name");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }
    target.assert_serves().await;
}
