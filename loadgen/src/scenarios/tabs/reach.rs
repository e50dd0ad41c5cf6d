//! How far each subscriber has got: the warm-up that makes sure every one
//! is subscribed before the run, and the last change each is owed after it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures::{StreamExt, TryStreamExt, stream};

use super::customers::Customer;
use super::layout::{Layout, Role, Watch};
use super::listen::TabFleet;
use super::writer::{self, Deposit};

/// Rounds of warm-up deposits before giving up.
const WARM_UP_ROUNDS: usize = 30;
/// How long each round waits for its deposits to arrive.
const ROUND: Duration = Duration::from_secs(2);

/// Deposits into the accounts of the customers whose tabs (and, for the
/// dashboards, customer 0's) have heard nothing yet, until every subscriber
/// has heard about its own account: subscriptions start asynchronously, and
/// changes before that are not theirs to get. The deposits it made.
pub async fn warm_up(
    fleet: &TabFleet,
    layout: &Layout,
    customers: &[Customer],
    concurrency: usize,
) -> anyhow::Result<Vec<Deposit>> {
    let mut made = Vec::new();
    for _ in 0..WARM_UP_ROUNDS {
        let waiting: Vec<usize> = (0..layout.subscribers).filter(|&s| fleet.highest(s) == 0).collect();
        if waiting.is_empty() {
            return Ok(made);
        }
        let poked: BTreeSet<usize> = waiting
            .iter()
            .map(|&s| match layout.role(s) {
                Role::Dashboard => 0,
                Role::Tab { customer, .. } => customer,
            })
            .collect();
        let mut deposits: Vec<Deposit> = stream::iter(poked)
            .map(|customer| writer::deposit(customers, customer))
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await?;
        made.append(&mut deposits);
        let started = Instant::now();
        while started.elapsed() < ROUND && waiting.iter().any(|&s| fleet.highest(s) == 0) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let silent = (0..layout.subscribers).filter(|&s| fleet.highest(s) == 0).count();
    bail!(
        "after {WARM_UP_ROUNDS} rounds of warm-up deposits {silent} of {} subscribers have heard nothing",
        layout.subscribers
    )
}

/// The highest key each subscriber is owed by `written` (0: none).
pub fn last_keys(layout: &Layout, written: &[Deposit]) -> Vec<i64> {
    let mut by_customer: Vec<(i64, i64)> = vec![(0, 0); layout.customers];
    let mut last_position = 0;
    for deposit in written {
        if let Some(last) = by_customer.get_mut(deposit.customer) {
            *last = (last.0.max(deposit.position), last.1.max(deposit.version));
        }
        last_position = last_position.max(deposit.position);
    }
    (0..layout.subscribers)
        .map(|s| match layout.role(s) {
            Role::Dashboard => last_position,
            Role::Tab { customer, watch } => {
                let (position, version) = by_customer.get(customer).copied().unwrap_or_default();
                if watch == Watch::Account { version } else { position }
            }
        })
        .collect()
}
