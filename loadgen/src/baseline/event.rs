//! A `MoneyDeposited` event shaped like the server's.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::ops;

pub const STREAM_TYPE: &str = "ACCOUNT";
pub const EVENT_TYPE: &str = "MoneyDeposited";
pub const SCHEMA_VERSION: i32 = 1;

/// The `data` column: amount, description, balance after.
pub fn data(cents: i64, balance_after_cents: i64) -> Value {
    json!({
        "amount": ops::amount(cents.unsigned_abs()),
        "description": "loadgen baseline",
        "balanceAfter": signed_amount(balance_after_cents),
    })
}

/// The `metadata` column: a fresh correlation id and command id.
pub fn metadata() -> Value {
    let command = Uuid::now_v7();
    json!({
        "correlationId": Uuid::now_v7(),
        "causationId": command,
        "commandId": command,
        "actorId": null,
    })
}

fn signed_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}", ops::amount(cents.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_keep_their_sign() {
        assert_eq!(signed_amount(-150), "-1.50");
        assert_eq!(data(250, 1250)["balanceAfter"], "12.50");
    }
}
