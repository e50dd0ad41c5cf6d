//! Mutations whose input is always refused: every field of every input
//! type gets plausible values, wrong types, malformed strings or nothing,
//! and one field of each is always malformed, so nothing can be written.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::Known;
use super::request::Operation;
use super::text::{Quoting, hostile_text, literal, never_valid_text};

/// Amount strings outside `^[0-9]+(\.[0-9]{1,2})?$`: refused for every
/// amount and limit.
pub const BROKEN_MONEY: &[&str] = &[
    "",
    " ",
    "1e3",
    "1.5e1",
    "1E3",
    "1_000",
    " 1",
    "1 ",
    "+1",
    "-1",
    "-0.01",
    "1.",
    ".5",
    "1.000",
    "1.001",
    "1,00",
    "1,000.00",
    "0x10",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "١",
    "１",
    "1\u{0}",
    "\u{0}",
    "1\n",
    "1..0",
    "1.0.0",
    "$1",
    "1€",
    "٣.٥",
    "0.1e1",
    "1/2",
];

/// Amounts of the right grammar that no deposit, withdrawal or transfer
/// accepts: zero, and more than 1,000,000,000,000.
const REFUSED_AMOUNTS: &[&str] =
    &["0", "0.00", "00", "0.0", "1000000000000.01", "1000000000001", "99999999999999999999999999999999"];

/// A value of the wrong type for any field (a JSON number is also wrong for
/// a money field: amounts travel as strings).
fn wrong_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        select(vec![0.5, -1.5, 1e300, -0.0, 1000.0]).prop_map(Value::from),
        Just(Value::Null),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["1.00"])),
        Just(json!({"amount": "1.00"})),
        Just(json!([[["1"]]])),
    ]
}

fn broken_money() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => select(BROKEN_MONEY).prop_map(Value::from),
        1 => (1usize..5_000).prop_map(|n| Value::from(format!("{}.5", "9".repeat(n)))),
        1 => never_valid_text().prop_map(Value::from),
        2 => wrong_value(),
    ]
}

fn refused_amount() -> impl Strategy<Value = Value> {
    prop_oneof![4 => broken_money(), 1 => select(REFUSED_AMOUNTS).prop_map(Value::from)]
}

fn uuid() -> impl Strategy<Value = Value> {
    any::<u128>().prop_map(|n| {
        let hex = format!("{n:032x}");
        Value::from(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
    })
}

/// An id of any kind: alice's account, a client's id (the wrong kind), an
/// unknown one, or no id at all.
fn some_id(known: &Known) -> impl Strategy<Value = Value> + use<> {
    prop_oneof![
        select(vec![known.account.clone(), known.alice.clone(), known.admin.clone()]).prop_map(Value::from),
        uuid(),
        select(vec!["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "1"]).prop_map(Value::from),
        hostile_text().prop_map(Value::from),
    ]
}

fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(vec!["alice", "root", "alice@example.com", "EUR", "a perfectly fine description"]).prop_map(Value::from),
        hostile_text().prop_map(Value::from),
        (1usize..100_000).prop_map(|n| Value::from("d".repeat(n))),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Id,
    Text,
    Int,
    /// The field that is always malformed.
    Core,
}

/// A mutation, its input type, and its input's fields.
type Mutation = (&'static str, &'static str, Vec<(&'static str, Kind)>);

/// Each mutation, its input type, its fields, and the malformed value of its core field.
fn mutations() -> Vec<Mutation> {
    use Kind::*;
    let money =
        vec![("accountId", Id), ("amount", Core), ("description", Text), ("expectedVersion", Int), ("commandId", Id)];
    vec![
        ("deposit", "MoneyInput", money.clone()),
        ("withdraw", "MoneyInput", money),
        (
            "transfer",
            "TransferInput",
            vec![
                ("fromAccountId", Id),
                ("toAccountId", Id),
                ("amount", Core),
                ("description", Text),
                ("commandId", Id),
            ],
        ),
        (
            "changeOverdraftLimit",
            "ChangeOverdraftLimitInput",
            vec![("accountId", Id), ("limit", Core), ("expectedVersion", Int), ("commandId", Id)],
        ),
        (
            "openAccount",
            "OpenAccountInput",
            vec![("ownerId", Id), ("currency", Text), ("overdraftLimit", Core), ("commandId", Id)],
        ),
        ("closeAccount", "CloseAccountInput", vec![("accountId", Core), ("expectedVersion", Int), ("commandId", Id)]),
        ("login", "LoginInput", vec![("login", Core), ("password", Text)]),
        (
            "registerClient",
            "RegisterClientInput",
            vec![("username", Core), ("email", Text), ("password", Text), ("firstName", Text), ("lastName", Text)],
        ),
    ]
}

fn core_value(mutation: &str) -> BoxedStrategy<Value> {
    match mutation {
        "deposit" | "withdraw" | "transfer" => refused_amount().boxed(),
        "changeOverdraftLimit" => broken_money().boxed(),
        // An explicit null stands for the default limit, which opens an account.
        "openAccount" => broken_money().prop_filter("null is the default", |v| !v.is_null()).boxed(),
        // No id or login is a boolean, a number with a fraction, a list, an object or null.
        "closeAccount" | "login" => {
            prop_oneof![any::<bool>().prop_map(Value::from), Just(Value::Null), Just(json!([])), Just(json!({"id": 1}))]
                .boxed()
        }
        _ => prop_oneof![
            wrong_value(),
            never_valid_text().prop_map(Value::from),
            select(vec!["", "ab", "a b", "ÄLICE", "alice/x", "al ice", "-"]).prop_map(Value::from),
            (33usize..1_000).prop_map(|n| Value::from("a".repeat(n))),
        ]
        .boxed(),
    }
}

fn field_value(kind: Kind, mutation: &'static str, known: &Known) -> BoxedStrategy<Option<Value>> {
    let value = match kind {
        Kind::Core => return core_value(mutation).prop_map(Some).boxed(),
        Kind::Id => some_id(known).boxed(),
        Kind::Text => text_value().boxed(),
        Kind::Int => prop_oneof![any::<i64>(), -2i64..10].prop_map(Value::from).boxed(),
    };
    prop_oneof![3 => value.prop_map(Some), 2 => wrong_value().prop_map(Some), 1 => Just(None)].boxed()
}

/// The input object: every field, some unknown ones, the core always malformed.
fn input(mutation: &'static str, fields: Vec<(&'static str, Kind)>, known: &Known) -> BoxedStrategy<Value> {
    let values: Vec<_> = fields
        .iter()
        .map(|&(name, kind)| field_value(kind, mutation, known).prop_map(move |value| (name, value)))
        .collect();
    let unknown = vec(("zz[0-9]{1,3}", wrong_value()), 0..3);
    (values, unknown)
        .prop_map(|(values, unknown)| {
            let mut object = serde_json::Map::new();
            for (name, value) in values {
                if let Some(value) = value {
                    object.insert(name.to_string(), value);
                }
            }
            for (name, value) in unknown {
                object.insert(name, value);
            }
            Value::Object(object)
        })
        .boxed()
}

/// A JSON value as a GraphQL literal.
pub fn graphql_literal(value: &Value) -> String {
    match value {
        Value::String(text) => literal(text, Quoting::Escaped),
        Value::Array(items) => format!("[{}]", items.iter().map(graphql_literal).collect::<Vec<_>>().join(", ")),
        Value::Object(fields) => {
            let fields: Vec<_> = fields.iter().map(|(k, v)| format!("{k}: {}", graphql_literal(v))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        other => other.to_string(),
    }
}

/// How the input travels.
#[derive(Clone, Copy, Debug)]
enum Form {
    Variables,
    Literal,
    /// The core field alone as a variable, declared with this type.
    CoreVariable(&'static str),
    /// `input` itself is a wrong value.
    WrongInput,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        3 => Just(Form::Variables),
        3 => Just(Form::Literal),
        2 => select(vec!["Decimal!", "Decimal", "String!", "ID", "Int", "[Decimal]", "Boolean!", "LoginInput"])
            .prop_map(Form::CoreVariable),
        1 => Just(Form::WrongInput),
    ]
}

fn render(mutation: &str, input_type: &str, core: &str, input: Value, form: Form, wrong: Value) -> Operation {
    let selection = "{ written: __typename }";
    match form {
        Form::Variables => Operation::with_variables(
            format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {selection} }}"),
            json!({ "input": input }).to_string(),
        ),
        Form::Literal => {
            Operation::query(format!("mutation {{ {mutation}(input: {}) {selection} }}", graphql_literal(&input)))
        }
        Form::CoreVariable(declared) => {
            let mut input = input;
            let core_value = input.as_object_mut().and_then(|o| o.remove(core)).unwrap_or(Value::Null);
            let mut literal = graphql_literal(&input);
            literal.insert_str(
                literal.len() - 1,
                &format!("{}{core}: $v", if input.as_object().is_some_and(|o| o.is_empty()) { "" } else { ", " }),
            );
            Operation::with_variables(
                format!("mutation($v: {declared}) {{ {mutation}(input: {literal}) {selection} }}"),
                json!({ "v": core_value }).to_string(),
            )
        }
        Form::WrongInput => Operation::with_variables(
            format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {selection} }}"),
            json!({ "input": wrong }).to_string(),
        ),
    }
}

pub fn wrong_types(known: &Known) -> impl Strategy<Value = Operation> + use<> {
    let known = known.clone();
    select(mutations()).prop_flat_map(move |(mutation, input_type, fields)| {
        let core =
            fields.iter().find(|(_, kind)| matches!(kind, Kind::Core)).map(|(name, _)| *name).unwrap_or_default();
        // `{}` is a valid OpenAccountInput: it would open an account.
        let wrong = wrong_value().prop_filter("{} opens an account", |v| v != &json!({}));
        (input(mutation, fields, &known), form(), wrong)
            .prop_map(move |(input, form, wrong)| render(mutation, input_type, core, input, form, wrong))
    })
}

/// Numbers JSON can write but no 64-bit type holds, in variables.
pub fn odd_numbers(known: &Known) -> impl Strategy<Value = Operation> + use<> {
    let account = known.account.clone();
    let number = prop_oneof![
        "-?[0-9]{1,400}",
        "-?[0-9]{1,3}\\.[0-9]{1,400}",
        "-?[0-9]{1,3}[eE][+-]?[0-9]{1,6}",
        select(vec!["-0", "1e400", "-1e400", "1E-400", "18446744073709551616", "-9223372036854775809", "2147483648"])
            .prop_map(String::from),
    ];
    (number, select(vec!["amount", "expectedVersion"])).prop_map(move |(number, field)| {
        let amount = if field == "amount" { number.clone() } else { "\"1.001\"".to_string() };
        Operation::with_variables(
            "mutation($input: MoneyInput!) { withdraw(input: $input) { written: __typename } }",
            format!("{{\"input\":{{\"accountId\":\"{account}\",\"amount\":{amount},\"expectedVersion\":{number}}}}}"),
        )
    })
}
