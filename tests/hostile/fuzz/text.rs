//! Hostile text: NUL, control characters and odd unicode, sent in string
//! literals of every quoting and in variables, at every string sink.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::Known;
use super::request::Operation;

pub fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        2 => Just('\0'),
        2 => (1u8..0x20).prop_map(char::from),
        2 => prop::char::range('a', 'z'),
        2 => select(vec![
            '\u{7f}', '\u{85}', '\u{a0}', '\u{202e}', '\u{200b}', '\u{feff}', '\u{fffd}', '\u{fffe}', '\u{10ffff}',
            '\u{0301}', '\u{2028}', 'é', 'ß', 'İ', '😀', '"', '\\', '$', '{', '}', '%', '\'', '#', '@', '.', ' ',
        ]),
        1 => any::<char>(),
    ]
}

/// Short hostile text, or a long run of one character (a 50 KB search
/// string once reached SQLite and failed there).
pub fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => vec(hostile_char(), 0..48).prop_map(String::from_iter),
        1 => (hostile_char(), 1usize..100_000).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// Text that no input rule can accept (no username, e-mail, amount or id
/// holds a control character): the mutations it reaches must refuse it.
pub fn never_valid_text() -> impl Strategy<Value = String> {
    (hostile_text(), select(vec!['\0', '\u{1}', '\n', '\u{1b}', '\u{7f}']), any::<prop::sample::Index>()).prop_map(
        |(text, control, at)| {
            let chars: Vec<char> = text.chars().collect();
            let at = at.index(chars.len() + 1);
            chars[..at].iter().chain(std::iter::once(&control)).chain(&chars[at..]).collect()
        },
    )
}

/// How a text becomes a GraphQL string literal.
#[derive(Clone, Copy, Debug)]
pub enum Quoting {
    /// `"..."`, every control character as `\uXXXX`: a valid literal.
    Escaped,
    /// `"..."` with only `"` and `\` escaped: control characters stay raw.
    Raw,
    /// `"""..."""`.
    Block,
}

pub fn literal(text: &str, quoting: Quoting) -> String {
    match quoting {
        Quoting::Block => format!("\"\"\"{}\"\"\"", text.replace("\"\"\"", "\\\"\"\"")),
        Quoting::Escaped | Quoting::Raw => {
            let mut out = String::from("\"");
            for c in text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if matches!(quoting, Quoting::Escaped) && (c < ' ' || c == '\u{7f}') => {
                        out.push_str(&format!("\\u{:04x}", u32::from(c)));
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    }
}

/// Where a string goes: the operation keyword, the variable's type, and
/// the root field with `§` where the string stands.
fn sinks(known: &Known) -> Vec<(&'static str, &'static str, String)> {
    let account = &known.account;
    let mut sinks: Vec<(&'static str, &'static str, String)> = vec![
        ("query", "String", "clients(search: §) { totalCount }".into()),
        ("query", "String", "clients(after: §) { totalCount }".into()),
        ("query", "String", "accounts(after: §) { totalCount }".into()),
        ("query", "String!", "accountByNumber(number: §) { id }".into()),
        ("query", "ID!", "account(id: §) { id }".into()),
        ("query", "ID!", "client(id: §) { id }".into()),
        ("query", "ID!", "transfer(id: §) { id }".into()),
        ("query", "ID", "accounts(ownerId: §) { totalCount }".into()),
        ("query", "String!", "events(filter: {types: [§], streamTypes: [§]}) { totalCount }".into()),
        ("query", "ID!", "events(filter: {streamIds: [§]}) { totalCount }".into()),
        ("query", "Position", "events(after: §) { totalCount }".into()),
        ("query", "DateTime", format!("accountAt(id: \"{account}\", at: §) {{ balance }}")),
        ("query", "String!", "__type(name: §) { name }".into()),
        ("query", "Boolean!", "__typename @include(if: §)".into()),
        ("mutation", "String!", "login(input: {login: §, password: §}) { written: __typename }".into()),
        ("mutation", "String!", "login(input: {login: \"alice\", password: §}) { written: __typename }".into()),
        ("subscription", "ID!", "accountUpdated(id: §) { id }".into()),
    ];
    sinks.push((
        "mutation",
        "String",
        format!(
            "deposit(input: {{accountId: \"{account}\", amount: \"1.001\", description: §}}) {{ written: __typename }}"
        ),
    ));
    sinks
}

/// A hostile string at a sink, as a literal of some quoting or as a variable
/// (also as JSON text serde_json refuses: lone surrogates).
pub fn strings(known: &Known) -> impl Strategy<Value = Operation> + use<> {
    let quoting = select(vec![Some(Quoting::Escaped), Some(Quoting::Raw), Some(Quoting::Block), None]);
    let raw_json =
        select(vec!["\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\uZZZZ\"", "\"\u{0}\""]);
    prop_oneof![
        4 => (select(sinks(known)), hostile_text(), quoting).prop_map(|((keyword, ty, field), text, quoting)| {
            match quoting {
                Some(quoting) => {
                    Operation::query(format!("{keyword} {{ {} }}", field.replace('§', &literal(&text, quoting))))
                }
                None => Operation::with_variables(
                    format!("{keyword}($s: {ty}) {{ {} }}", field.replace('§', "$s")),
                    serde_json::json!({ "s": text }).to_string(),
                ),
            }
        }),
        1 => (select(sinks(known)), raw_json).prop_map(|((keyword, ty, field), json)| {
            Operation::with_variables(
                format!("{keyword}($s: {ty}) {{ {} }}", field.replace('§', "$s")),
                format!("{{\"s\":{json}}}"),
            )
        }),
    ]
}
