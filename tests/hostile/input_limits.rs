//! Every text or list argument that would reach a statement is bounded and
//! checked first: too long, too many, malformed or holding a NUL is
//! BAD_USER_INPUT (never INTERNAL), nothing is written, and the server serves.

use serde_json::{Value, json};

use crate::support::{PASSWORD, Target, code, field};

fn assert_refused(response: &Value, expected_field: Option<&str>, what: &str) {
    assert_eq!(code(response), Some("BAD_USER_INPUT"), "{what}: {response}");
    if let Some(expected) = expected_field {
        assert_eq!(field(response), Some(expected), "{what}: {response}");
    }
    let message = response["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.len() < 400, "{what}: the error echoes the input back ({} bytes)", message.len());
}

/// A NUL reaches the server both escaped in a literal and in a variable.
fn with_nul(text: &str) -> String {
    format!("{text}\u{0}{text}")
}

/// A GraphQL string literal (JSON's escapes are GraphQL's).
fn graphql_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[tokio::test]
async fn client_search_is_bounded_and_plain() {
    let mut target = Target::start().await;
    let admin = Some(target.admin.token.as_str());
    let search = "query($s: String) { clients(search: $s) { totalCount } }";
    let before = target.ledger().await;
    for (what, term, expected_field) in [
        ("60 KB", "x".repeat(60_000), Some("search")),
        ("101 characters", "a".repeat(101), Some("search")),
        ("a control character", "ali\u{1}ce".to_string(), Some("search")),
        ("a NUL", with_nul("alice"), None),
    ] {
        assert_refused(&target.gql(admin, search, json!({ "s": term })).await, expected_field, what);
        let literal = format!("{{ clients(search: {}) {{ totalCount }} }}", graphql_string(&term));
        assert_refused(&target.gql(admin, &literal, json!({})).await, expected_field, what);
    }
    let found = target.ok(admin, search, json!({ "s": "  ALICE  " })).await;
    assert_eq!(found["clients"]["totalCount"], 1);
    let longest = target.ok(admin, search, json!({ "s": "é".repeat(100) })).await;
    assert_eq!(longest["clients"]["totalCount"], 0);
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}

#[tokio::test]
async fn account_numbers_are_checked_before_any_lookup() {
    let mut target = Target::start().await;
    let alice = Some(target.alice.token.as_str());
    let by_number = "query($n: String!) { accountByNumber(number: $n) { id } }";
    let own =
        target.ok(alice, "query($id: ID!) { account(id: $id) { number } }", json!({ "id": target.account })).await;
    let number = own["account"]["number"].as_str().unwrap().to_string();
    let last = number.chars().last().unwrap().to_digit(10).unwrap();
    let mistyped = format!("{}{}", &number[..number.len() - 1], (last + 1) % 10);
    for (what, raw, expected_field) in [
        ("a wrong check digit", mistyped, Some("number")),
        ("too short", "MB123".to_string(), Some("number")),
        ("another prefix", format!("XX{}", &number[2..]), Some("number")),
        ("empty", String::new(), Some("number")),
        ("100 KB", "9".repeat(100_000), Some("number")),
        ("SQL", "MB' OR '1'='1".to_string(), Some("number")),
        ("a control character", format!("{number}\u{1}"), Some("number")),
        ("a NUL", with_nul(&number), None),
    ] {
        assert_refused(&target.gql(alice, by_number, json!({ "n": raw })).await, expected_field, what);
        let literal = format!("{{ accountByNumber(number: {}) {{ id }} }}", graphql_string(&raw));
        assert_refused(&target.gql(alice, &literal, json!({})).await, expected_field, what);
    }
    let spaced = format!("{} {} {}", number[..4].to_lowercase(), &number[4..8], &number[8..]);
    let found = target.ok(alice, by_number, json!({ "n": spaced })).await;
    assert_eq!(found["accountByNumber"]["id"], target.account.as_str());
    target.assert_serves().await;
}

#[tokio::test]
async fn event_filters_are_bounded() {
    let mut target = Target::start().await;
    let events = "query($f: EventFilter) { events(filter: $f) { totalCount } }";
    let ids = vec![target.account.clone(); 101];
    let many_types = vec!["MoneyDeposited"; 101];
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("101 stream ids", json!({ "streamIds": ids }), Some("streamIds")),
        ("101 stream types", json!({ "streamTypes": vec!["ACCOUNT"; 101] }), Some("streamTypes")),
        ("101 type names", json!({ "types": many_types }), Some("types")),
        ("a long type name", json!({ "types": ["M".repeat(65)] }), Some("types")),
        ("a 50 KB type name", json!({ "types": ["M".repeat(50_000)] }), Some("types")),
        ("an empty type name", json!({ "types": [""] }), Some("types")),
        ("punctuation", json!({ "types": ["Money' OR 1=1 --"] }), Some("types")),
        ("a control character", json!({ "types": ["Money\u{1}Deposited"] }), Some("types")),
        ("a NUL", json!({ "types": [with_nul("MoneyDeposited")] }), None),
        ("a long stream type", json!({ "streamTypes": ["A".repeat(50_000)] }), Some("streamTypes")),
        ("a malformed stream id", json!({ "streamIds": ["x".repeat(50_000)] }), Some("streamIds")),
    ];
    for user in [&target.alice, &target.admin] {
        for (what, filter, expected_field) in &cases {
            assert_refused(&target.gql(Some(&user.token), events, json!({ "f": filter })).await, *expected_field, what);
        }
    }
    let literal = format!("{{ events(filter: {{ types: {} }}) {{ totalCount }} }}", json!(many_types));
    assert_refused(&target.gql(Some(&target.admin.token), &literal, json!({})).await, Some("types"), "literal list");

    let admin = Some(target.admin.token.as_str());
    let unknown = target.ok(admin, events, json!({ "f": { "types": ["NoSuchEvent"] } })).await;
    assert_eq!(unknown["events"]["totalCount"], 0, "a name no event has matches nothing");
    let known = target.ok(admin, events, json!({ "f": { "types": vec!["MoneyDeposited"; 100] } })).await;
    assert_eq!(known["events"]["totalCount"], 1, "100 names are within the bound");
    let own = target.ok(admin, events, json!({ "f": { "streamIds": vec![target.account.clone(); 100] } })).await;
    assert_eq!(own["events"]["totalCount"], 2, "AccountOpened and MoneyDeposited");
    target.assert_serves().await;
}

#[tokio::test]
async fn absurd_logins_are_refused_without_counting_as_failures() {
    let mut target = Target::start().await;
    let before = target.ledger().await;
    let login = "mutation($i: LoginInput!) { login(input: $i) { token } }";
    for (what, name, password, expected_field) in [
        ("a 255-character login", "a".repeat(255), PASSWORD.to_string(), Some("login")),
        ("a 200 KB login", "a".repeat(200_000), PASSWORD.to_string(), Some("login")),
        ("a control character in the login", "ali\u{1}ce".to_string(), PASSWORD.to_string(), Some("login")),
        ("a NUL in the login", with_nul("alice"), PASSWORD.to_string(), None),
        ("a NUL in the password", "alice".to_string(), with_nul(PASSWORD), None),
    ] {
        for _ in 0..3 {
            let response = target.gql(None, login, json!({ "i": { "login": name, "password": password } })).await;
            assert_refused(&response, expected_field, what);
            let literal = format!(
                "mutation {{ login(input: {{ login: {}, password: {} }}) {{ token }} }}",
                graphql_string(&name),
                graphql_string(&password)
            );
            assert_refused(&target.gql(None, &literal, json!({})).await, expected_field, what);
        }
    }
    let unknown = target.gql(None, login, json!({ "i": { "login": "a".repeat(254), "password": PASSWORD } })).await;
    assert_eq!(code(&unknown), Some("INVALID_CREDENTIALS"), "254 characters may be a login: {unknown}");
    target.login("alice").await;
    let register = "mutation($i: RegisterClientInput!) { registerClient(input: $i) { token } }";
    let nul_password = json!({ "i": {
        "username": "mallory", "email": "mallory@example.com", "password": with_nul(PASSWORD),
        "firstName": "M", "lastName": "M"
    }});
    assert_refused(&target.gql(None, register, nul_password).await, None, "a NUL in a new password");
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}

#[tokio::test]
async fn malformed_ids_are_refused_without_echoing_them() {
    let mut target = Target::start().await;
    let alice = Some(target.alice.token.as_str());
    let huge = "f".repeat(100_000);
    let before = target.ledger().await;
    let account = target.gql(alice, "query($id: ID!) { account(id: $id) { id } }", json!({ "id": huge })).await;
    assert_refused(&account, Some("id"), "a 100 KB id");
    let deposit = target
        .gql(
            alice,
            "mutation($i: MoneyInput!) { deposit(input: $i) { position } }",
            json!({ "i": { "accountId": huge, "amount": "1" } }),
        )
        .await;
    assert_refused(&deposit, Some("accountId"), "a 100 KB account id");
    let short = target.gql(alice, "query($id: ID!) { transfer(id: $id) { id } }", json!({ "id": "nope" })).await;
    assert_refused(&short, Some("id"), "a short malformed id");
    assert!(short["errors"][0]["message"].as_str().unwrap().contains("'nope'"), "short values are quoted: {short}");
    assert_eq!(target.ledger().await, before);
    target.assert_serves().await;
}
