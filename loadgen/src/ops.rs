//! The GraphQL operations the tool sends, and their variables.

use serde_json::{Value, json};

pub const REGISTER: &str =
    "mutation($input: RegisterClientInput!) { registerClient(input: $input) { token client { id } } }";

pub const OPEN_ACCOUNT: &str = "mutation { openAccount(input: {}) { account { id } position } }";

pub const DEPOSIT: &str =
    "mutation($input: MoneyInput!) { deposit(input: $input) { position account { balance version } } }";

pub const WITHDRAW: &str =
    "mutation($input: MoneyInput!) { withdraw(input: $input) { position account { balance version } } }";

pub const TRANSFER: &str = "mutation($from: ID!, $to: ID!, $amount: Decimal!) { transfer(input: {fromAccountId: $from, toAccountId: $to, amount: $amount}) { transfer { id status } } }";

pub const ACCOUNT: &str =
    "query($id: ID!) { account(id: $id) { balance transactions(first: 20) { nodes { amount balanceAfter } } } }";

/// How many events the caller may see.
pub const EVENT_COUNT: &str = "{ events(first: 1) { totalCount } }";

pub const LIVE_EVENTS: &str = "subscription { events { position recordedAt } }";

pub const CATCH_UP_EVENTS: &str = "subscription($after: Position) { events(after: $after) { position recordedAt } }";

pub fn money(account_id: &str, amount: &str) -> Value {
    json!({ "input": { "accountId": account_id, "amount": amount } })
}

pub fn account(account_id: &str) -> Value {
    json!({ "id": account_id })
}

pub fn transfer(from: &str, to: &str, amount: &str) -> Value {
    json!({ "from": from, "to": to, "amount": amount })
}

/// A whole number of cents from 1.00 to `max` units, as a decimal string.
pub fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The `position` of a mutation's payload, a decimal string.
pub fn position(payload: &Value) -> Option<i64> {
    payload["position"].as_str().and_then(|p| p.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_strings() {
        assert_eq!(amount(1), "0.01");
        assert_eq!(amount(12_345), "123.45");
        assert_eq!(position(&json!({"position": "42"})), Some(42));
    }
}
