//! Deposits into customers' accounts, each signed in as the account's owner,
//! and what each one committed: the truth the subscribers are judged by.

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::customers::Customer;
use crate::ops;

/// The deposit's event and the account's state after it (`updatedAt` is the
/// event's `recordedAt`).
const DEPOSIT: &str =
    "mutation($input: MoneyInput!) { deposit(input: $input) { position account { version updatedAt } } }";

/// One committed deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deposit {
    pub customer: usize,
    /// The event's position in the log (what `events` delivers).
    pub position: i64,
    /// The account's version after it (what `accountUpdated` delivers).
    pub version: i64,
    pub committed_at: DateTime<Utc>,
}

pub async fn deposit(customers: &[Customer], customer: usize) -> anyhow::Result<Deposit> {
    let owner = customers.get(customer).ok_or_else(|| anyhow!("no customer {customer}"))?;
    let data = owner.gql.execute(DEPOSIT, ops::money(&owner.account, "1.00")).await?;
    committed(customer, &data["deposit"]).ok_or_else(|| anyhow!("deposit answered without its commit: {data}"))
}

fn committed(customer: usize, answer: &Value) -> Option<Deposit> {
    let account = &answer["account"];
    Some(Deposit {
        customer,
        position: ops::position(answer)?,
        version: account["version"].as_i64()?,
        committed_at: DateTime::parse_from_rfc3339(account["updatedAt"].as_str()?).ok()?.with_timezone(&Utc),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_answer_is_a_deposit() {
        let answer = json!({"position": "42", "account": {"version": 3, "updatedAt": "2026-12-02T07:00:00.5Z"}});
        let deposit = committed(5, &answer).unwrap();
        assert_eq!((deposit.customer, deposit.position, deposit.version), (5, 42, 3));
        assert_eq!(deposit.committed_at.timestamp_subsec_millis(), 500);
        assert!(committed(5, &json!({"position": "42"})).is_none());
    }
}
