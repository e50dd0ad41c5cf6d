//! Every amount and limit is exactly `^[0-9]+(\.[0-9]{1,2})?$` as a string:
//! any other spelling, and any JSON number, boolean, list or object, is
//! BAD_USER_INPUT naming the input field, whether it comes as a literal in the
//! document or through variables, and nothing is written.

use serde_json::{Value, json};

use crate::support::{Target, User, code, field};

/// Refused spellings, each as a GraphQL literal and as a JSON variable value.
fn refused_values() -> Vec<(String, Value)> {
    let strings = [
        "1e3", "1.5e1", "1E3", "1_000", " 1", "1 ", "+1", "-1", "1.", ".5", "1.000", "", ".", "1,5", "1.5.0", "NaN",
        "Infinity", "0x10", "1\n", "\u{661}", "\u{ff11}", "1\u{1}",
    ];
    let mut values: Vec<(String, Value)> =
        strings.iter().map(|s| (serde_json::to_string(s).unwrap(), Value::String(s.to_string()))).collect();
    values.extend([
        ("1000".to_string(), json!(1000)),
        ("1.5".to_string(), json!(1.5)),
        ("1e3".to_string(), json!(1e3)),
        ("true".to_string(), json!(true)),
        ("false".to_string(), json!(false)),
        ("[]".to_string(), json!([])),
        ("[\"1\"]".to_string(), json!(["1"])),
        ("{}".to_string(), json!({})),
        ("{ amount: \"1\" }".to_string(), json!({ "amount": "1" })),
    ]);
    values
}

/// One mutation that takes an amount or a limit, in the three ways a value can arrive.
struct Operation {
    field: &'static str,
    user: User,
    /// The mutation with `VALUE` where the literal goes.
    literal: String,
    /// The mutation taking its whole input as `$input` of `input_type`.
    input_type: &'static str,
    name: &'static str,
    input: Value,
    /// The mutation taking only the amount as `$value: Decimal!`.
    decimal_variable: String,
}

impl Operation {
    fn with_input(&self, value: Value) -> Value {
        let mut input = self.input.clone();
        input[self.field] = value;
        json!({ "input": input })
    }

    async fn literal(&self, target: &Target, literal: &str) -> Value {
        target.gql(Some(&self.user.token), &self.literal.replace("VALUE", literal), json!({})).await
    }

    async fn input_variable(&self, target: &Target, value: Value) -> Value {
        let query =
            format!("mutation($input: {}!) {{ {}(input: $input) {{ __typename }} }}", self.input_type, self.name);
        target.gql(Some(&self.user.token), &query, self.with_input(value)).await
    }

    async fn decimal_variable(&self, target: &Target, value: Value) -> Value {
        target.gql(Some(&self.user.token), &self.decimal_variable, json!({ "value": value })).await
    }
}

/// Builds a GraphQL input object literal from JSON whose values are strings.
fn object_literal(input: &Value, field: &str, value: &str) -> String {
    let mut parts: Vec<String> = input
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.as_str() != field)
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    parts.push(format!("{field}: {value}"));
    format!("{{ {} }}", parts.join(", "))
}

fn operation(
    name: &'static str,
    input_type: &'static str,
    field: &'static str,
    user: &User,
    input: Value,
) -> Operation {
    let literal = format!("mutation {{ {name}(input: {}) {{ __typename }} }}", object_literal(&input, field, "VALUE"));
    let decimal_variable = format!(
        "mutation($value: Decimal!) {{ {name}(input: {}) {{ __typename }} }}",
        object_literal(&input, field, "$value")
    );
    Operation { field, user: user.clone(), literal, input_type, name, input, decimal_variable }
}

async fn operations(target: &Target) -> Vec<Operation> {
    let bob = target.register("bob").await;
    let bobs = target.open_account(&bob).await;
    let alice = &target.alice;
    let account = target.account.as_str();
    vec![
        operation("deposit", "MoneyInput", "amount", alice, json!({ "accountId": account })),
        operation("withdraw", "MoneyInput", "amount", alice, json!({ "accountId": account })),
        operation(
            "transfer",
            "TransferInput",
            "amount",
            alice,
            json!({ "fromAccountId": account, "toAccountId": bobs }),
        ),
        operation("openAccount", "OpenAccountInput", "overdraftLimit", &target.admin, json!({ "ownerId": alice.id })),
        operation(
            "changeOverdraftLimit",
            "ChangeOverdraftLimitInput",
            "limit",
            &target.admin,
            json!({ "accountId": account }),
        ),
    ]
}

fn assert_refused(response: &Value, expected_field: &str, what: &str) {
    assert_eq!(code(response), Some("BAD_USER_INPUT"), "{what}: {response}");
    assert_eq!(field(response), Some(expected_field), "{what}: {response}");
    assert!(response["data"].is_null(), "{what}: {response}");
}

#[tokio::test]
async fn every_other_spelling_of_money_is_refused_with_the_field_and_writes_nothing() {
    let mut target = Target::start().await;
    let operations = operations(&target).await;
    let before = target.ledger().await;
    for operation in &operations {
        for (literal, value) in refused_values() {
            let what = format!("{} {}={literal}", operation.name, operation.field);
            assert_refused(&operation.literal(&target, &literal).await, operation.field, &format!("{what} (literal)"));
            assert_refused(
                &operation.input_variable(&target, value.clone()).await,
                operation.field,
                &format!("{what} (input variable)"),
            );
            assert_refused(
                &operation.decimal_variable(&target, value).await,
                operation.field,
                &format!("{what} (Decimal variable)"),
            );
        }
    }
    assert_eq!(target.ledger().await, before, "a refused amount wrote something");
    target.assert_serves().await;
}

#[tokio::test]
async fn amounts_out_of_range_name_the_field_too() {
    let mut target = Target::start().await;
    let operations = operations(&target).await;
    let before = target.ledger().await;
    for operation in &operations {
        let too_large = if operation.field == "amount" { "1000000000000.01" } else { "1000000000001" };
        let mut out_of_range = vec![too_large, "99999999999999999999"];
        if operation.field == "amount" {
            out_of_range.extend(["0", "0.00"]);
        }
        for raw in out_of_range {
            let what = format!("{} {}={raw}", operation.name, operation.field);
            assert_refused(&operation.input_variable(&target, json!(raw)).await, operation.field, &what);
        }
    }
    assert_eq!(target.ledger().await, before, "an amount out of range wrote something");
    target.assert_serves().await;
}

async fn balance(target: &Target) -> String {
    let data = target
        .ok(
            Some(&target.alice.token),
            "query($id: ID!) { account(id: $id) { balance } }",
            json!({ "id": target.account }),
        )
        .await;
    data["account"]["balance"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_grammar_still_takes_plain_amounts() {
    let mut target = Target::start().await;
    let operations = operations(&target).await;
    let [deposit, withdraw, transfer, open, change] = &operations[..] else { unreachable!() };
    let mut expected = rust_decimal::Decimal::new(10_000, 2);
    for raw in ["1", "1.5", "1.50", "0.01", "01", "1000000000000"] {
        let response = deposit.input_variable(&target, json!(raw)).await;
        assert!(response.get("errors").is_none(), "deposit {raw}: {response}");
        expected += raw.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(balance(&target).await, expected.to_string(), "after a deposit of {raw}");
    }
    let literal = deposit.literal(&target, "\"2.25\"").await;
    assert!(literal.get("errors").is_none(), "{literal}");
    let variable = deposit.decimal_variable(&target, json!("0.75")).await;
    assert!(variable.get("errors").is_none(), "{variable}");
    let withdrawn = withdraw.input_variable(&target, json!("3")).await;
    assert!(withdrawn.get("errors").is_none(), "{withdrawn}");
    assert_eq!(balance(&target).await, expected.to_string(), "2.25 + 0.75 - 3 leaves the balance as it was");
    let sent = transfer.input_variable(&target, json!("0.5")).await;
    assert!(sent.get("errors").is_none(), "{sent}");

    let opened = target
        .ok(
            Some(&target.admin.token),
            "mutation($id: ID!) { openAccount(input: { ownerId: $id, overdraftLimit: \"250.5\" }) { account { overdraftLimit } } }",
            json!({ "id": target.alice.id }),
        )
        .await;
    assert_eq!(opened["openAccount"]["account"]["overdraftLimit"], "250.50");
    let opened = open.input_variable(&target, json!("0")).await;
    assert!(opened.get("errors").is_none(), "{opened}");
    let changed = target
        .ok(
            Some(&target.admin.token),
            "mutation($id: ID!, $limit: Decimal!) { changeOverdraftLimit(input: { accountId: $id, limit: $limit }) { account { overdraftLimit } } }",
            json!({ "id": target.account, "limit": "1000000000000" }),
        )
        .await;
    assert_eq!(changed["changeOverdraftLimit"]["account"]["overdraftLimit"], "1000000000000.00");
    let changed = change.literal(&target, "\"0.01\"").await;
    assert!(changed.get("errors").is_none(), "{changed}");
    target.assert_serves().await;
}
