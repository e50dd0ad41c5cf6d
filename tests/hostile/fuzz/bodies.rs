//! Whole request bodies: random JSON variables for real operations, random
//! JSON and random bytes as the body, odd top-level fields, unknown names,
//! and batches.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::Known;
use super::inputs::BROKEN_MONEY;
use super::request::{Hostile, Operation, caller};
use super::text::never_valid_text;

/// Any JSON, up to 8 levels deep. Its strings always hold a control
/// character, so no field a write needs (username, e-mail, amount, id) is
/// ever valid in it.
pub fn random_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("JSON has no NaN or infinity", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        never_valid_text().prop_map(Value::from),
        select(BROKEN_MONEY).prop_map(Value::from),
    ];
    let key = prop_oneof![
        select(vec![
            "input",
            "accountId",
            "amount",
            "login",
            "password",
            "username",
            "email",
            "limit",
            "ownerId",
            "currency",
            "overdraftLimit",
            "commandId",
            "expectedVersion",
            "query",
            "variables",
            "",
            "\u{0}",
            "__proto__",
        ])
        .prop_map(String::from),
        "zz[0-9]{1,3}",
    ];
    leaf.prop_recursive(8, 256, 8, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            vec((key.clone(), inner), 0..8).prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Real operations, each with the names of its variables. `openAccount`
/// is left out: its input may be empty, so random variables could open an account.
const OPERATIONS: &[(&str, &[&str])] = &[
    ("mutation($input: MoneyInput!) { deposit(input: $input) { written: __typename } }", &["input"]),
    ("mutation($input: MoneyInput!) { withdraw(input: $input) { written: __typename } }", &["input"]),
    ("mutation($input: TransferInput!) { transfer(input: $input) { written: __typename } }", &["input"]),
    (
        "mutation($input: ChangeOverdraftLimitInput!) { changeOverdraftLimit(input: $input) { written: __typename } }",
        &["input"],
    ),
    ("mutation($input: CloseAccountInput!) { closeAccount(input: $input) { written: __typename } }", &["input"]),
    ("mutation($input: LoginInput!) { login(input: $input) { written: __typename } }", &["input"]),
    ("mutation($input: RegisterClientInput!) { registerClient(input: $input) { written: __typename } }", &["input"]),
    ("query($id: ID!) { account(id: $id) { id balance } }", &["id"]),
    ("query($n: String!) { accountByNumber(number: $n) { id } }", &["n"]),
    (
        "query($filter: EventFilter, $after: Position, $first: Int) { events(filter: $filter, after: $after, first: $first) { totalCount } }",
        &["filter", "after", "first"],
    ),
    (
        "query($search: String, $first: Int, $after: String) { clients(search: $search, first: $first, after: $after) { totalCount } }",
        &["search", "first", "after"],
    ),
    (
        "query($id: ID!, $version: Int, $at: DateTime) { accountAt(id: $id, version: $version, at: $at) { balance } }",
        &["id", "version", "at"],
    ),
    ("query($x: [[ID!]!]) { __typename }", &["x"]),
    ("subscription($id: ID!) { accountUpdated(id: $id) { id } }", &["id"]),
];

pub fn random_variables() -> impl Strategy<Value = Operation> {
    (select(OPERATIONS), vec(random_json(), 3), any::<bool>()).prop_map(|((query, names), values, whole)| {
        let variables = if whole {
            values[0].clone()
        } else {
            Value::Object(names.iter().map(|n| n.to_string()).zip(values).collect())
        };
        Operation::with_variables(query, variables.to_string())
    })
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    select(vec![
        Some("application/json"),
        Some("application/json; charset=utf-16"),
        Some("application/graphql-response+json"),
        Some("application/graphql"),
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ])
}

fn json_soup() -> impl Strategy<Value = Vec<u8>> {
    vec(select(b"{}[]\":,0123456789.eE+-truefalsnqy\\ u".to_vec()), 0..600)
}

/// Bodies that are not a GraphQL request, with any content type.
pub fn raw_bodies() -> impl Strategy<Value = Hostile> {
    let body = prop_oneof![
        vec(any::<u8>(), 0..4_096),
        json_soup(),
        random_json().prop_map(|v| v.to_string().into_bytes()),
        select(vec![
            "",
            "[]",
            "{}",
            "null",
            "true",
            "1",
            "\"{ me { id } }\"",
            "[[]]",
            "[null]",
            "[{}]",
            "{\"query\":\"\"}",
            "{\"query\":\"  \"}"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    (caller(), content_type(), any::<bool>(), body).prop_map(|(caller, content_type, preflight, body)| Hostile::Post {
        caller,
        content_type,
        preflight,
        body,
    })
}

/// Well-formed JSON whose top-level fields are wrong or unexpected.
pub fn odd_top_level() -> impl Strategy<Value = Hostile> {
    let body = prop_oneof![
        random_json().prop_map(|v| json!({ "query": v })),
        random_json().prop_map(|v| json!({ "query": "query Q { __typename }", "operationName": v })),
        random_json().prop_map(|v| json!({ "query": "{ __typename }", "extensions": v })),
        random_json().prop_map(|v| json!({ "query": "{ __typename }", "zz1": v })),
        Just(
            json!({ "query": "{ __typename }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "abc" } } })
        ),
        Just(json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } })),
        Just(json!({ "query": "query A { __typename } query B { me { id } }" })),
        Just(json!({ "query": "query A { __typename }", "operationName": "B" })),
        Just(json!({ "variables": {} })),
    ];
    (caller(), body).prop_map(|(caller, body)| Hostile::json(caller, body.to_string()))
}

/// Fields, arguments, types, directives and fragments the schema does not have.
pub fn unknown_names(known: &Known) -> impl Strategy<Value = Operation> + use<> {
    let account = known.account.clone();
    let templates = vec![
        "{ N }".to_string(),
        "{ me { id N } }".into(),
        "{ me(N: 1) { id } }".into(),
        format!("{{ account(id: \"{account}\", N: true) {{ id }} }}"),
        "{ __typename @N }".into(),
        "query($x: N) { __typename }".into(),
        "{ ... on N { __typename } }".into(),
        "mutation { N(input: {}) { id } }".into(),
        "subscription { N }".into(),
        "{ events(filter: {N: 1}) { totalCount } }".into(),
        "{ N: me { N } }".into(),
        "{ me { id } } fragment N on Query { N }".into(),
    ];
    // Digits only: a generated name can never look like a leaked internal.
    (select(templates), "[A-Za-z_][0-9]{0,4}")
        .prop_map(|(template, name)| Operation::query(template.replace('N', &name)))
}

/// 0 to 14 requests in one JSON array, of any kind.
pub fn batches(known: &Known) -> impl Strategy<Value = Hostile> + use<> {
    let login =
        Operation::query("mutation { login(input: {login: \"alice\", password: \"wrong\"}) { written: __typename } }");
    let element = prop_oneof![
        3 => random_variables().prop_map(|op| op.to_json()),
        2 => super::inputs::wrong_types(known).prop_map(|op| op.to_json()),
        1 => unknown_names(known).prop_map(|op| op.to_json()),
        1 => random_json().prop_map(|v| v.to_string()),
        1 => Just(login.to_json()),
        1 => Just(Operation::query("{ __typename }").to_json()),
    ];
    prop_oneof![
        4 => (caller(), vec(element, 0..15)).prop_map(|(caller, items)| Hostile::json(caller, format!("[{}]", items.join(",")))),
        1 => (caller(), 2usize..12).prop_map(move |(caller, n)| Hostile::json(caller, format!("[{}]", vec![login.to_json(); n].join(",")))),
        1 => (caller(), 1usize..100).prop_map(|(caller, n)| {
            Hostile::json(caller, format!("{}{{\"query\":\"{{ __typename }}\"}}{}", "[".repeat(n), "]".repeat(n)))
        }),
    ]
}
