//! Item 4: fields that hash passwords or replay histories are priced, at
//! most one password field runs per request, and one request cannot hold
//! the database pool while other callers wait.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{PASSWORD, Target, code};

fn logins(n: usize, login: &str, password: &str) -> String {
    let fields: String = (0..n)
        .map(|i| format!("l{i}: login(input: {{ login: \"{login}\", password: \"{password}\" }}) {{ token }} "))
        .collect();
    format!("mutation {{ {fields} }}")
}

#[tokio::test]
async fn a_hundred_logins_in_one_request_are_refused_without_hashing_one() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    for n in [2, 100, 1_000] {
        let body = target.gql(None, &logins(n, "alice", "wrong password"), json!({})).await;
        assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{n} logins: {}", &body.to_string()[..300]);
        assert!(body["data"].is_null(), "no login ran");
    }
    // The right password among them does not get through either.
    let body = target.gql(None, &logins(2, "alice", PASSWORD), json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"));

    let registrations: String = (0..2)
        .map(|i| {
            format!(
                "r{i}: registerClient(input: {{ username: \"mallory{i}\", email: \"m{i}@example.com\", password: \"{PASSWORD}\", firstName: \"M\", lastName: \"M\" }}) {{ token }} "
            )
        })
        .collect();
    let body = target.gql(None, &format!("mutation {{ {registrations} }}"), json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

    // Spread across a batch, they are counted together.
    let one = json!({ "query": logins(1, "alice", "wrong password") });
    let (status, body) = target.post_raw(None, json!([one, one, one]).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

    target.assert_serves().await;
    assert_eq!(target.ledger().await, before, "nobody was registered");
    // One login per request still works.
    target.login("alice").await;
}

#[tokio::test]
async fn replays_are_priced_and_cannot_starve_other_callers() {
    let mut target = Target::start().await;
    // A long history to replay.
    let deposits: Vec<_> = (0..300).map(|_| target.money(&target.alice, "deposit", &target.account, "1.00")).collect();
    for response in futures::future::join_all(deposits).await {
        assert!(response.get("errors").is_none(), "{response}");
    }
    let replays = |n: usize| -> String {
        let fields: String = (0..n)
            .map(|i| format!("a{i}: accountAt(id: \"{}\", version: {}) {{ balance }} ", target.account, 250 + i))
            .collect();
        format!("{{ {fields} }}")
    };
    let body = target.gql(Some(&target.alice.token), &replays(300), json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "300 replays: {}", &body.to_string()[..300]);
    let body = target.gql(Some(&target.alice.token), &replays(25), json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "25 replays cost more than the limit");

    // The most replays one request may ask for, many times at once, while
    // another customer's ordinary query keeps being answered.
    let bob = target.register("bob").await;
    let most = replays(16);
    let heavy: Vec<_> = (0..8).map(|_| target.gql(Some(&target.alice.token), &most, json!({}))).collect();
    let light = async {
        let mut answers = Vec::new();
        for _ in 0..10 {
            answers.push(target.gql(Some(&bob.token), "{ me { id accounts { totalCount } } }", json!({})).await);
        }
        answers
    };
    let (heavy, light) = tokio::join!(futures::future::join_all(heavy), light);
    for body in heavy.iter().chain(light.iter()) {
        assert!(body.get("errors").is_none(), "{}", &body.to_string()[..300.min(body.to_string().len())]);
    }
    let balance = |alias: &str| heavy[0]["data"][alias]["balance"].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(balance("a15") - balance("a0"), 15.0, "fifteen deposits of 1.00 between versions 250 and 265");
    target.assert_serves().await;
}
