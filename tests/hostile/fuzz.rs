//! The fuzz harness: thousands of generated hostile requests (deep nesting,
//! huge widths, fragment cycles, random bytes, NUL and odd unicode, wrong
//! types for every input field, random JSON, batches) against one real
//! server process. Every answer must be JSON with a known `extensions.code`,
//! never INTERNAL_SERVER_ERROR nor internal text; the server must live, log
//! no error and write nothing.
//!
//! About 2,000 cases by default; `PROPTEST_CASES=50000` for a long run,
//! `PROPTEST_RNG_SEED=<seed>` (printed by every run) to replay one,
//! `FUZZ_FAMILIES=width,batches` to run only some families.

mod bodies;
mod documents;
mod findings;
mod inputs;
mod request;
mod text;

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use crate::support::Target;
use request::{Caller, Hostile, send};

/// Ids the generators aim at.
#[derive(Clone, Debug)]
pub struct Known {
    /// Alice's account (holding 100.00).
    pub account: String,
    pub alice: String,
    pub admin: String,
}

const DEFAULT_CASES: u64 = 2_000;
/// Answers slower than this are printed: they set how long a run takes.
const SLOW: Duration = Duration::from_millis(300);

/// Every code of the contract but INTERNAL_SERVER_ERROR, and the HTTP layer's 413.
const KNOWN_CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "ALREADY_EXISTS",
    "INVALID_CREDENTIALS",
    "INSUFFICIENT_FUNDS",
    "ACCOUNT_CLOSED",
    "ACCOUNT_NOT_EMPTY",
    "CURRENCY_MISMATCH",
    "CONFLICT",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_COMPLEX",
    "TOO_MANY_REQUESTS",
    "PERSISTED_QUERY_NOT_FOUND",
    "BAD_REQUEST",
    "PAYLOAD_TOO_LARGE",
];

/// Text that would betray SQL, the database, Rust types or a panic.
const LEAKS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE ",
    "DELETE ",
    "sqlx",
    "sea_orm",
    "sea-orm",
    "DbErr",
    "SQLITE",
    "sqlite",
    "postgres",
    "syntax error at",
    "panicked",
    "untagged",
    "BatchRequest",
    "serde",
    "backtrace",
    "thread '",
    ".rs:",
    "src/",
    "minibank::",
    "std::",
    "core::",
    "tokio",
];

/// Each family of generated requests with its share of the cases.
fn families(known: &Known) -> Vec<(&'static str, u32, BoxedStrategy<Hostile>)> {
    vec![
        ("nesting", 10, send(documents::nesting(known)).boxed()),
        ("width", 8, send(documents::width(known)).boxed()),
        ("fragments", 7, send(documents::fragments()).boxed()),
        ("token soup", 6, send(documents::token_soup()).boxed()),
        ("random bytes as the query", 4, send(documents::random_query()).boxed()),
        ("raw bodies", 6, bodies::raw_bodies().boxed()),
        ("hostile strings", 12, send(text::strings(known)).boxed()),
        ("wrong input types", 20, send(inputs::wrong_types(known)).boxed()),
        ("odd numbers", 3, send(inputs::odd_numbers(known)).boxed()),
        ("random variables", 10, send(bodies::random_variables()).boxed()),
        ("odd top-level fields", 5, bodies::odd_top_level().boxed()),
        ("unknown names", 4, send(bodies::unknown_names(known)).boxed()),
        ("batches", 5, bodies::batches(known).boxed()),
    ]
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_hostile_requests_get_known_codes_and_write_nothing() {
    let target = Target::start().await;
    let known =
        Known { account: target.account.clone(), alice: target.alice.id.clone(), admin: target.admin.id.clone() };
    let before = target.ledger().await;
    let errors_before = target.server.error_lines().len();
    let rss_before = target.rss_kib();
    let total = env_number("PROPTEST_CASES").unwrap_or(DEFAULT_CASES);
    let seed = env_number("PROPTEST_RNG_SEED").unwrap_or_else(rand::random);
    let only = std::env::var("FUZZ_FAMILIES").ok();
    let families = families(&known);
    let weights: u64 = families.iter().map(|(_, weight, _)| u64::from(*weight)).sum();

    let target = RefCell::new(target);
    let started = Instant::now();
    let mut ran = 0;
    // proptest runs synchronously; each case blocks on its request.
    tokio::task::block_in_place(|| {
        for (index, (name, weight, strategy)) in families.into_iter().enumerate() {
            if only.as_ref().is_some_and(|only| !only.split(',').any(|n| n.trim() == name)) {
                continue;
            }
            let cases = u32::try_from(total * u64::from(weight) / weights).unwrap_or(u32::MAX).max(1);
            let family_started = Instant::now();
            let family_seed = seed.wrapping_add(index as u64);
            if let Err(failure) = run_family(&target, &strategy, cases, family_seed) {
                panic!("fuzz family \"{name}\" (PROPTEST_RNG_SEED={seed}): {failure}");
            }
            ran += cases;
            println!("fuzz: {name}: {cases} cases in {:.1?}", family_started.elapsed());
        }
    });
    let elapsed = started.elapsed();
    let mut target = target.into_inner();
    println!(
        "fuzz: {ran} cases in {elapsed:.1?} ({:.0}/s), PROPTEST_RNG_SEED={seed}; RSS {rss_before} -> {} KiB",
        f64::from(ran) / elapsed.as_secs_f64().max(f64::EPSILON),
        target.rss_kib()
    );

    target.assert_serves().await;
    assert_eq!(target.ledger().await, before, "nothing was written");
    let errors = target.server.error_lines();
    assert!(errors.len() == errors_before, "client mistakes were logged as errors: {:#?}", &errors[errors_before..]);
}

/// Runs `cases` requests of one family, shrinking the first that fails.
fn run_family(
    target: &RefCell<Target>,
    strategy: &BoxedStrategy<Hostile>,
    cases: u32,
    seed: u64,
) -> Result<(), TestError<Hostile>> {
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let handle = tokio::runtime::Handle::current();
    let died = Cell::new(false);
    TestRunner::new(config).run(strategy, |hostile| {
        // Once the server is dead every request fails: let shrinking keep the one that killed it.
        if died.get() {
            return Ok(());
        }
        let answer = handle.block_on(exchange(&target.borrow(), &hostile));
        if let Ok(Some(status)) = target.borrow_mut().server.child.try_wait() {
            died.set(true);
            return Err(TestCaseError::fail(format!("the server died ({status}) on this request")));
        }
        let Some((status, text)) = answer.map_err(TestCaseError::fail)? else {
            // An oversized body the server refused (413, then closed) before
            // the client had written all of it.
            return Ok(());
        };
        check(&hostile, status, &text)
            .map_err(|why| TestCaseError::fail(format!("{why}\nanswer {status}: {}", clip(&text))))
    })
}

/// Sends one request; the status and the body text, or `None` when the
/// server refused a body over its limit before the client finished writing it.
async fn exchange(target: &Target, hostile: &Hostile) -> Result<Option<(StatusCode, String)>, String> {
    let oversized = matches!(hostile, Hostile::Post { body, .. } if body.len() > MAX_BODY_BYTES);
    let (request, preflight) = match hostile {
        Hostile::Post { content_type, preflight, body, .. } => {
            let mut request = target.http.post(target.url()).body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, *content_type);
            }
            (request, *preflight)
        }
        Hostile::Get { preflight, params, .. } => (target.http.get(target.url()).query(params), *preflight),
    };
    let request = if preflight { request.header("apollo-require-preflight", "true") } else { request };
    let request = match hostile.caller() {
        Caller::Anonymous => request,
        Caller::Alice => request.bearer_auth(&target.alice.token),
        Caller::Admin => request.bearer_auth(&target.admin.token),
        Caller::Forged => request.bearer_auth("eyJhbGciOiJub25lIn0.e30.forged"),
    };
    let sent = Instant::now();
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) if oversized && error.is_request() => return Ok(None),
        Err(error) => return Err(format!("no answer after {:.1?}: {error:?}", sent.elapsed())),
    };
    let status = response.status();
    let text = response.text().await.map_err(|error| format!("the answer could not be read: {error}"))?;
    if sent.elapsed() > SLOW {
        let shown: String = format!("{hostile:?}").chars().take(300).collect();
        println!("fuzz: slow answer ({:.1?}, {} bytes): {shown}", sent.elapsed(), text.len());
    }
    if sent.elapsed() > Duration::from_secs(10) {
        return Err(format!("the answer took {:.1?}", sent.elapsed()));
    }
    Ok(Some((status, text)))
}

/// The server's request body limit (`minibank::http::MAX_BODY_BYTES`).
const MAX_BODY_BYTES: usize = minibank::http::MAX_BODY_BYTES;

/// Every rule an answer to a hostile request must keep.
fn check(hostile: &Hostile, status: StatusCode, text: &str) -> Result<(), String> {
    if ![StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::METHOD_NOT_ALLOWED, StatusCode::PAYLOAD_TOO_LARGE]
        .contains(&status)
    {
        return Err(format!("status {status}"));
    }
    let body: Value = serde_json::from_str(text).map_err(|error| format!("the answer is not JSON: {error}"))?;
    let responses = match &body {
        Value::Array(responses) if status == StatusCode::OK && !responses.is_empty() => responses.iter().collect(),
        Value::Object(_) => vec![&body],
        _ => return Err("the answer is neither a response nor a batch of them".into()),
    };
    let sent = match hostile {
        Hostile::Post { body, .. } => String::from_utf8_lossy(body).into_owned(),
        Hostile::Get { params, .. } => params.iter().map(|(_, v)| v.as_str()).collect(),
    };
    for response in responses {
        check_response(response, status, &sent)?;
    }
    Ok(())
}

fn check_response(response: &Value, status: StatusCode, sent: &str) -> Result<(), String> {
    let errors = match response.get("errors") {
        None => &Vec::new(),
        Some(Value::Array(errors)) => errors,
        Some(_) => return Err("`errors` is not a list".into()),
    };
    if status != StatusCode::OK && errors.is_empty() {
        return Err(format!("status {status} without an error"));
    }
    // `{"data": null}` alone is async-graphql's answer when every root field is skipped by a directive.
    if errors.is_empty() && response.get("data").is_none() {
        return Err("neither data nor errors".into());
    }
    for error in errors {
        let code = error["extensions"]["code"].as_str().ok_or("an error without extensions.code")?;
        if !KNOWN_CODES.contains(&code) {
            return Err(format!("code {code}"));
        }
        let message = error["message"].as_str().ok_or("an error without a message")?;
        // The server may quote the client's own text back; anything else is a leak.
        if let Some(leak) = LEAKS.iter().find(|leak| message.contains(*leak) && !sent.contains(*leak)) {
            return Err(format!("the message leaks {leak:?}: {message}"));
        }
    }
    if let Some(data) = response.get("data")
        && wrote(data)
    {
        return Err("a mutation went through (its payload was answered)".into());
    }
    Ok(())
}

/// Every generated mutation selects `written: __typename` on its payload:
/// the alias in an answer means the mutation ran.
fn wrote(value: &Value) -> bool {
    match value {
        Value::Object(fields) => {
            fields.iter().any(|(key, value)| (key == "written" && !value.is_null()) || wrote(value))
        }
        Value::Array(items) => items.iter().any(wrote),
        _ => false,
    }
}

fn clip(text: &str) -> String {
    if text.len() <= 2_000 {
        return text.to_string();
    }
    let end = (0..=2_000).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    format!("{}… ({} bytes)", &text[..end], text.len())
}
