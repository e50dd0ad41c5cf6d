//! Documents that attack the parser and the validator: nesting, width,
//! fragments, and token soup.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::Known;
use super::request::Operation;

/// Depths around the guard's limit (64), past serde_json's (128), and far
/// past the ~1,800 levels that once overflowed the parser's stack.
fn depth() -> impl Strategy<Value = usize> {
    prop_oneof![2 => 1usize..=140, 1 => 140usize..=6_000]
}

/// A value nesting lists (`true`) and objects (`false`), as a GraphQL
/// literal or as JSON, around `inner`.
fn nested_value(levels: &[bool], inner: &str, json: bool) -> String {
    let mut text = String::new();
    for &list in levels {
        text.push_str(match (list, json) {
            (true, _) => "[",
            (false, false) => "{a: ",
            (false, true) => "{\"a\":",
        });
    }
    text.push_str(inner);
    for &list in levels.iter().rev() {
        text.push(if list { ']' } else { '}' });
    }
    text
}

fn levels() -> impl Strategy<Value = Vec<bool>> {
    depth().prop_flat_map(|d| vec(any::<bool>(), d))
}

pub fn nesting(known: &Known) -> impl Strategy<Value = Operation> + use<> {
    let account = known.account.clone();
    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { written: __typename } }";
    prop_oneof![
        depth().prop_map(|d| Operation::query(format!(
            "query($x: [ID] = {}\"a\"{}) {{ __typename }}",
            "[".repeat(d),
            "]".repeat(d)
        ))),
        levels().prop_map(|l| Operation::query(format!(
            "{{ events(filter: {{streamIds: {}}}) {{ totalCount }} }}",
            nested_value(&l, "\"a\"", false)
        ))),
        (levels(), Just(account.clone())).prop_map(|(l, account)| Operation::query(format!(
            "mutation {{ deposit(input: {{accountId: \"{account}\", amount: {}}}) {{ written: __typename }} }}",
            nested_value(&l, "\"1\"", false)
        ))),
        depth().prop_map(|d| Operation::query(format!("{{ me {}{} }}", "{ me ".repeat(d), "}".repeat(d)))),
        depth().prop_map(|d| Operation::query(format!(
            "query($x: {}ID{}) {{ __typename }}",
            "[".repeat(d),
            "]".repeat(d)
        ))),
        depth().prop_map(|d| Operation::query(format!("{{ me{}{} {{ id }} }}", "(a: ".repeat(d), ")".repeat(d)))),
        (vec(select(vec!['[', '{', '(', ']', '}', ')', 'a', ':', ' ']), 1..6_000))
            .prop_map(|chars| Operation::query(chars.into_iter().collect::<String>())),
        levels().prop_map(|l| Operation::with_variables(
            "query($x: [ID]) { __typename }",
            format!("{{\"x\":{}}}", nested_value(&l, "\"a\"", true))
        )),
        (levels(), Just(account)).prop_map(move |(l, account)| Operation::with_variables(
            deposit,
            format!("{{\"input\":{{\"accountId\":\"{account}\",\"amount\":{}}}}}", nested_value(&l, "\"1\"", true))
        )),
    ]
}

/// Root fields to repeat: reads, introspection, the priced fields, and
/// mutations whose input is always refused.
fn wide_fields(known: &Known) -> Vec<(bool, String)> {
    let account = &known.account;
    let query = |field: String| (false, field);
    let mutation = |field: String| (true, format!("{field} {{ written: __typename }}"));
    vec![
        query("__typename".into()),
        query("me { id }".into()),
        query("__schema { types { name fields { name type { name } } } }".into()),
        query("__type(name: \"Account\") { name fields { name } }".into()),
        query(format!("accountAt(id: \"{account}\", version: 1) {{ balance }}")),
        query(format!("account(id: \"{account}\") {{ balance version }}")),
        query("events(first: 100) { totalCount }".into()),
        query("clients(first: 100) { totalCount }".into()),
        mutation("login(input: {login: \"alice\", password: \"not the password\"})".into()),
        mutation(format!("deposit(input: {{accountId: \"{account}\", amount: \"1e3\"}})")),
        mutation("openAccount(input: {overdraftLimit: \"1_000\"})".into()),
        mutation(
            "registerClient(input: {username: \"no spaces allowed\", email: \"x\", password: \"short\", firstName: \"\", lastName: \"\"})"
                .into(),
        ),
    ]
}

/// Counts around the root-field limit (32) and far past it.
fn count() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 1usize..=40, 1 => 40usize..=6_000]
}

pub fn width(known: &Known) -> impl Strategy<Value = Operation> + use<> {
    let aliased = (select(wide_fields(known)), count(), any::<bool>()).prop_map(|((is_mutation, field), n, alias)| {
        let fields: String =
            (0..n).map(|i| if alias { format!("a{i}: {field} ") } else { format!("{field} ") }).collect();
        let keyword = if is_mutation { "mutation" } else { "query" };
        Operation::query(format!("{keyword} {{ {fields}}}"))
    });
    prop_oneof![
        4 => aliased,
        1 => (count(), select(vec!["@skip(if: false)", "@include(if: true)", "@deprecated", "@nope"]))
            .prop_map(|(n, directive)| Operation::query(format!("{{ __typename {} }}", format!("{directive} ").repeat(n)))),
        1 => count().prop_map(|n| {
            let definitions: String = (0..n).map(|i| format!("$v{i}: Int ")).collect();
            Operation::query(format!("query({definitions}) {{ __typename }}"))
        }),
        1 => count().prop_map(|n| Operation::query((0..n).map(|i| format!("query o{i} {{ __typename }} ")).collect::<String>())),
        1 => count().prop_map(|n| {
            let arguments: String = (0..n).map(|i| format!("a{i}: {i} ")).collect();
            Operation::query(format!("{{ me({arguments}) {{ id }} }}"))
        }),
        1 => (1usize..200_000).prop_map(|n| Operation::query(format!("{{ {} }}", "a".repeat(n)))),
        1 => (0usize..65_536).prop_map(|extra| {
            Operation::query(format!("{{ __typename }} #{}", "x".repeat(minibank::http::MAX_BODY_BYTES + extra)))
        }),
    ]
}

pub fn fragments() -> impl Strategy<Value = Operation> {
    let login = "login(input: {login: \"alice\", password: \"not the password\"}) { written: __typename }";
    prop_oneof![
        (1usize..50).prop_map(|k| {
            let definitions: String =
                (0..k).map(|i| format!("fragment F{i} on Query {{ ...F{} }} ", (i + 1) % k)).collect();
            Operation::query(format!("{{ ...F0 }} {definitions}"))
        }),
        (1usize..70).prop_map(|k| {
            let mut definitions: String =
                (0..k).map(|i| format!("fragment F{i} on Query {{ __typename ...F{0} ...F{0} }} ", i + 1)).collect();
            definitions.push_str(&format!("fragment F{k} on Query {{ me {{ id }} }}"));
            Operation::query(format!("{{ ...F0 }} {definitions}"))
        }),
        (1usize..3_000, any::<bool>()).prop_map(|(n, spreads)| {
            let body = if spreads { "...F ".repeat(n) } else { "...on Query { __typename } ".repeat(n) };
            Operation::query(format!("{{ {body}}} fragment F on Query {{ __typename me {{ id }} }}"))
        }),
        depth().prop_map(|d| Operation::query(format!(
            "{{ {}__typename{} }}",
            "... on Query { ".repeat(d),
            " }".repeat(d)
        ))),
        (1usize..40).prop_map(move |n| {
            let fields: String = (0..n).map(|i| format!("l{i}: {login} ")).collect();
            Operation::query(format!("mutation {{ ...L ...L }} fragment L on Mutation {{ {fields}}}"))
        }),
        select(vec![
            "{ ...Nope }",
            "{ ...A } fragment A on Query { __typename } fragment A on Query { me { id } }",
            "{ ...A } fragment A on Nope { x }",
            "fragment A on Query { __typename }",
            "{ ...A } fragment A on Mutation { __typename }",
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A } fragment C on Query { ...C }",
            "query { ...A } fragment A on Query @skip(if: true) { ...A }",
        ])
        .prop_map(Operation::query),
    ]
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(vec![
            "{", "}", "(", ")", "[", "]", "...", "@", "$", ":", "=", "!", "|", "&", ",", "#", "\"", "\"\"\"",
            "query", "mutation", "subscription", "fragment", "on", "null", "true", "false", "__typename",
            "__schema", "me", "login", "deposit", "input", "amount", "events", "@skip", "@include", "if",
        ])
        .prop_map(String::from),
        1 => "[_A-Za-z][_0-9A-Za-z]{0,8}",
        1 => "-?[0-9]{1,30}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{1,6})?",
        1 => "\"[^\"\\\\]{0,12}\"",
        1 => "\\\\u[0-9a-fA-F]{0,5}",
        1 => any::<char>().prop_map(String::from),
    ]
}

/// Sequences of GraphQL tokens, mostly not a document: they reach deeper
/// into the parser than random bytes do.
pub fn token_soup() -> impl Strategy<Value = Operation> {
    (vec(token(), 0..600), any::<bool>())
        .prop_map(|(tokens, spaced)| Operation::query(tokens.join(if spaced { " " } else { "" })))
}

/// Random bytes, decoded lossily, as the query.
pub fn random_query() -> impl Strategy<Value = Operation> {
    vec(any::<u8>(), 0..4_096).prop_map(|bytes| Operation::query(String::from_utf8_lossy(&bytes).into_owned()))
}
