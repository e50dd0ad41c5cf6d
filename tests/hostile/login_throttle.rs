//! Password guessing: failed logins are throttled per login and per address,
//! without checking the password while throttled and without telling which
//! logins exist. (Every request here comes from 127.0.0.1: the per-address
//! rules across addresses are unit-tested in `application::login_throttle`.)

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Target, code};

const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { token client { id } } }";

async fn attempt(target: &Target, login: &str, password: &str) -> Value {
    target.gql(None, LOGIN, json!({ "input": { "login": login, "password": password } })).await
}

fn message(response: &Value) -> &str {
    response["errors"][0]["message"].as_str().unwrap_or_default()
}

fn retry_after(response: &Value) -> Option<u64> {
    response["errors"][0]["extensions"]["retryAfter"].as_u64()
}

/// What a client can tell from one answer.
fn answer(response: &Value) -> (Option<&str>, &str, Option<u64>, &Value) {
    (code(response), message(response), retry_after(response), &response["data"])
}

/// Five wrong passwords answered as such, then a throttled attempt; returns the checked answers and the throttled one.
async fn guess_until_throttled(target: &Target, login: &str) -> (Vec<Value>, Value) {
    let mut checked = Vec::new();
    for _ in 0..5 {
        let response = attempt(target, login, "wrong password").await;
        assert_eq!(code(&response), Some("INVALID_CREDENTIALS"), "{response}");
        checked.push(response);
    }
    let throttled = attempt(target, login, "wrong password").await;
    assert_eq!(code(&throttled), Some("TOO_MANY_REQUESTS"), "{throttled}");
    (checked, throttled)
}

#[tokio::test]
async fn wrong_passwords_throttle_the_login_and_even_the_right_password_waits_for_retry_after() {
    let mut target = Target::start().await;
    let before = target.ledger().await;

    let (_, throttled) = guess_until_throttled(&target, "alice").await;
    assert_eq!(retry_after(&throttled), Some(1), "{throttled}");
    assert_eq!(message(&throttled), "too many failed sign-ins; try again in 1 s");
    assert!(throttled["data"].is_null(), "{throttled}");

    let right = attempt(&target, "alice", PASSWORD).await;
    assert_eq!(code(&right), Some("TOO_MANY_REQUESTS"), "the right password is not checked either: {right}");
    assert_eq!(retry_after(&right), Some(1), "{right}");
    assert!(right["data"].is_null(), "no token while throttled: {right}");
    assert_eq!(code(&attempt(&target, " ALICE ", PASSWORD).await), Some("TOO_MANY_REQUESTS"), "same key");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let signed_in = attempt(&target, "alice", PASSWORD).await;
    assert!(signed_in.get("errors").is_none(), "after retryAfter the right password works: {signed_in}");
    assert_eq!(signed_in["data"]["login"]["client"]["id"], target.alice.id.as_str());

    // The success started the count again: the next mistake is an ordinary one.
    assert_eq!(code(&attempt(&target, "alice", "wrong password").await), Some("INVALID_CREDENTIALS"));
    assert_eq!(target.ledger().await, before, "logins write nothing");
    target.assert_serves().await;
}

#[tokio::test]
async fn the_backoff_doubles_with_each_further_failure() {
    let target = Target::start().await;
    guess_until_throttled(&target, "alice").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(code(&attempt(&target, "alice", "wrong password").await), Some("INVALID_CREDENTIALS"));
    let second = attempt(&target, "alice", "wrong password").await;
    assert_eq!((code(&second), retry_after(&second)), (Some("TOO_MANY_REQUESTS"), Some(2)), "{second}");
}

#[tokio::test]
async fn an_unknown_login_is_throttled_exactly_like_a_known_one() {
    let mut target = Target::start().await;
    let (known_checked, known_throttled) = guess_until_throttled(&target, "alice").await;
    // Within the second it must wait: the right password of a known login...
    let known_right = attempt(&target, "alice", PASSWORD).await;
    let (unknown_checked, unknown_throttled) = guess_until_throttled(&target, "nobody-by-that-name").await;
    // ... and any password of an unknown one get the same refusal.
    let unknown_any = attempt(&target, "nobody-by-that-name", PASSWORD).await;
    for (known, unknown) in known_checked.iter().zip(&unknown_checked) {
        assert_eq!(answer(known), answer(unknown));
    }
    assert_eq!(answer(&known_throttled), answer(&unknown_throttled));
    assert_eq!(code(&known_right), Some("TOO_MANY_REQUESTS"), "{known_right}");
    assert_eq!(answer(&known_right), answer(&unknown_any));
    target.assert_serves().await;
}

#[tokio::test]
async fn while_one_login_is_throttled_other_logins_from_the_same_address_still_sign_in() {
    let mut target = Target::start().await;
    guess_until_throttled(&target, "alice").await;
    guess_until_throttled(&target, "nobody-by-that-name").await;
    let bob = target.register("bob").await;
    let signed_in = target.login("bob").await;
    assert_eq!(signed_in.id, bob.id);
    target.login("root").await;
    target.assert_serves().await;
}

/// The fastest of several attempts, so that load from elsewhere (other tests,
/// other builds) does not decide the comparison.
async fn fastest(target: &Target, login: &str, password: &str, times: usize, expected: &str) -> Duration {
    let mut fastest = Duration::MAX;
    for _ in 0..times {
        let started = Instant::now();
        let response = attempt(target, login, password).await;
        fastest = fastest.min(started.elapsed());
        assert_eq!(code(&response), Some(expected), "{response}");
    }
    fastest
}

#[tokio::test]
async fn throttled_attempts_cost_no_password_check() {
    let target = Target::start().await;
    let checked = fastest(&target, "alice", "wrong password", 5, "INVALID_CREDENTIALS").await;
    let throttled = fastest(&target, "alice", PASSWORD, 20, "TOO_MANY_REQUESTS").await;
    println!("fastest checked attempt {checked:?}, fastest throttled one {throttled:?}");
    assert!(
        throttled * 3 < checked,
        "a throttled attempt ({throttled:?}) should cost far less than a checked one ({checked:?})"
    );
}

/// A spray of 5,000 random logins from one address: after 50 failures the
/// address waits, each refusal is cheap, and the throttle's memory is bounded.
/// (Memory is measured from after the checked attempts: each argon2 check
/// borrows 19 MiB, which the allocator may keep per thread, and that is the
/// hasher's cost, not the throttle's.)
#[tokio::test]
async fn a_spray_of_random_logins_is_throttled_and_memory_stays_bounded() {
    const SPRAY: usize = 5_000;
    const MAX_GROWTH_KIB: u64 = 16 * 1024;
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let rss_at_start = target.rss_kib();
    let started = Instant::now();
    // The first ones are checked (argon2): one at a time, so that parallel
    // hashes' scratch memory does not count as the throttle's.
    let mut codes = Vec::new();
    for n in 0..60 {
        codes.push(code(&attempt(&target, &format!("sprayed-{n}"), "guess one two three").await).map(str::to_owned));
    }
    let rss_before = target.rss_kib();
    let rest: Vec<Option<String>> = futures::stream::iter(60..SPRAY)
        .map(|n| {
            let target = &target;
            async move {
                let login = format!("sprayed-{n}-{}", "x".repeat(40));
                code(&attempt(target, &login, "guess one two three").await).map(str::to_owned)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    codes.extend(rest);
    let count = |wanted: &str| codes.iter().filter(|c| c.as_deref() == Some(wanted)).count();
    let (checked, throttled) = (count("INVALID_CREDENTIALS"), count("TOO_MANY_REQUESTS"));
    assert_eq!(checked + throttled, SPRAY, "only these two answers: {:?}", &codes[..10]);
    assert!((50..60).contains(&checked), "{checked} passwords were checked");
    let rss_after = target.rss_kib();
    println!(
        "{SPRAY} sprayed logins in {:?}; RSS {rss_at_start} KiB at start, {rss_before} after the checked ones, {rss_after} at the end",
        started.elapsed()
    );
    assert!(
        rss_after < rss_before + MAX_GROWTH_KIB,
        "RSS grew from {rss_before} to {rss_after} KiB (bound: +{MAX_GROWTH_KIB} KiB)"
    );
    // An address that signed in to a login before keeps signing in to it.
    target.login("root").await;
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}
