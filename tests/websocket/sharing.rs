//! Subscriptions that share one evaluation: only callers who see the same
//! things share, each gets its own envelope, and each leaves on its own.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{
    Client, LEGACY, TRANSPORT, closed, connect, eventually, fast, init, recv, round_trip, send, server, subscribe,
};

async fn signed_in(server: &super::Server, protocol: &str, token: &str) -> Client {
    let mut client = connect(server.addr, protocol, None).await;
    init(&mut client, json!({"authToken": token})).await;
    client
}

async fn start_legacy(client: &mut Client, id: &str, query: &str) {
    send(client, json!({"type": "start", "id": id, "payload": {"query": query}})).await;
}

#[tokio::test]
async fn identical_subscriptions_of_one_caller_share_one_evaluation_on_both_protocols() {
    let server = server(fast()).await;
    let mut first = signed_in(&server, TRANSPORT, "team-a").await;
    let mut second = signed_in(&server, LEGACY, "team-a").await;
    subscribe(&mut first, "x", "subscription { forever }").await;
    start_legacy(&mut second, "y", "subscription {\n  forever\n}").await;
    let (a, b) = (recv(&mut first).await, recv(&mut second).await);
    assert_eq!((&a["type"], &a["id"]), (&json!("next"), &json!("x")));
    assert_eq!((&b["type"], &b["id"]), (&json!("data"), &json!("y")));
    assert_eq!(server.live.0.load(Ordering::SeqCst), 1, "one evaluation for both");
    assert_eq!(server.shared.groups(), 1);
    // Stopping one leaves the other's results coming.
    send(&mut first, json!({"type": "complete", "id": "x"})).await;
    let before = recv(&mut second).await["payload"]["data"]["forever"].as_i64().expect("a number");
    let after = recv(&mut second).await["payload"]["data"]["forever"].as_i64().expect("a number");
    assert_eq!(after, before + 1, "in order, none skipped");
    assert!(round_trip(&mut first).await.iter().all(|m| m["id"] != "x" || m["type"] == "next"));
    send(&mut second, json!({"type": "stop", "id": "y"})).await;
    eventually("the evaluation stops with its last member", || server.live.0.load(Ordering::SeqCst) == 0).await;
    eventually("and leaves the registry", || server.shared.groups() == 0).await;
}

#[tokio::test]
async fn callers_who_see_different_things_never_share() {
    let server = server(fast()).await;
    let mut a = signed_in(&server, TRANSPORT, "team-a").await;
    let mut b = signed_in(&server, TRANSPORT, "team-b").await;
    let mut unshared = signed_in(&server, TRANSPORT, "good").await;
    for client in [&mut a, &mut b, &mut unshared] {
        subscribe(client, "1", "subscription { whoamiForever }").await;
    }
    for (client, who) in [(&mut a, "team-a"), (&mut b, "team-b"), (&mut unshared, "user")] {
        for _ in 0..5 {
            assert_eq!(recv(client).await["payload"]["data"]["whoamiForever"], who);
        }
    }
    assert_eq!(server.shared.groups(), 2, "one per caller that shares; none for the one that does not");
    // Two callers without a sharing identity run identical operations apart.
    let mut other = signed_in(&server, TRANSPORT, "good").await;
    subscribe(&mut unshared, "2", "subscription { forever }").await;
    subscribe(&mut other, "2", "subscription { forever }").await;
    eventually("two evaluations", || server.live.0.load(Ordering::SeqCst) == 2).await;
}

#[tokio::test]
async fn an_expiring_token_ends_only_its_own_connection() {
    let server = server(fast()).await;
    let mut expiring = signed_in(&server, TRANSPORT, "team-a-expiring").await;
    let mut staying = signed_in(&server, TRANSPORT, "team-a").await;
    subscribe(&mut expiring, "1", "subscription { forever }").await;
    subscribe(&mut staying, "1", "subscription { forever }").await;
    assert_eq!(recv(&mut staying).await["type"], "next");
    let (code, reason, _) = closed(&mut expiring).await;
    assert_eq!((code, reason.as_str()), (4403, "Token expired"));
    let before = recv(&mut staying).await["payload"]["data"]["forever"].as_i64().expect("a number");
    let after = recv(&mut staying).await["payload"]["data"]["forever"].as_i64().expect("a number");
    assert_eq!(after, before + 1);
    assert_eq!(server.live.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_shared_subscription_is_refused_to_every_subscriber() {
    let server = server(fast()).await;
    let mut first = signed_in(&server, TRANSPORT, "team-a").await;
    let mut second = signed_in(&server, TRANSPORT, "team-a").await;
    subscribe(&mut first, "1", "subscription { failing }").await;
    subscribe(&mut second, "2", "subscription { failing }").await;
    for (client, id) in [(&mut first, "1"), (&mut second, "2")] {
        let refused = recv(client).await;
        assert_eq!((&refused["type"], &refused["id"]), (&json!("error"), &json!(id)));
        assert_eq!(refused["payload"][0]["message"], "refused");
        assert!(round_trip(client).await.is_empty(), "no complete after an error");
    }
}

#[tokio::test]
async fn a_subscriber_that_does_not_read_is_ended_with_where_to_resume() {
    let server = server(fast()).await;
    let mut slow = signed_in(&server, TRANSPORT, "team-a").await;
    // More than the socket buffers, the connection's queue and the
    // subscriber's backlog hold together.
    subscribe(&mut slow, "1", "subscription { burst(n: 60000) }").await;
    eventually("the evaluation ends", || server.shared.groups() == 0).await;
    let mut expected = 1;
    let lagged = loop {
        let Some(Ok(Message::Text(text))) =
            tokio::time::timeout(Duration::from_secs(5), slow.next()).await.expect("in time")
        else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).expect("json");
        let payload = &message["payload"];
        if payload.get("errors").is_some() {
            break message;
        }
        let number: i64 = payload["data"]["burst"].as_str().expect("a string").trim().parse().expect("a number");
        assert_eq!(number, expected, "in order, none skipped");
        expected += 1;
    };
    assert_eq!(lagged["type"], "next");
    let error = &lagged["payload"]["errors"][0];
    assert_eq!(error["extensions"]["code"], "SUBSCRIPTION_LAGGED");
    assert_eq!(error["extensions"]["resumeAfter"], (expected - 1).to_string(), "the last result it got");
    assert!(expected > 1 && expected < 60000, "{expected}");
    assert_eq!(recv(&mut slow).await, json!({"type": "complete", "id": "1"}));
}
