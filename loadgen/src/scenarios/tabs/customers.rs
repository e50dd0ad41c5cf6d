//! The tabs shape's people: C customers with one account each, registered
//! and opened through GraphQL like every scenario's own customer, and the
//! admin whose dashboards watch them all.

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt, stream};

use crate::cli::TabsArgs;
use crate::client::Gql;
use crate::setup::{self, SignedIn};

pub struct Customer {
    /// Signed in as the customer: their tabs' token and their deposits.
    pub gql: Gql,
    pub token: String,
    pub account: String,
}

/// Registers `count` customers and opens an account for each, `concurrency`
/// at a time (registration hashes a password: the server's slowest mutation).
pub async fn register(anonymous: &Gql, count: usize, concurrency: usize) -> anyhow::Result<Vec<Customer>> {
    stream::iter(0..count)
        .map(|_| async {
            let session = setup::prepare(anonymous, 1, "0", 1).await?;
            let Some(account) = session.accounts.into_iter().next() else {
                bail!("a customer was registered without their account");
            };
            anyhow::Ok(Customer { gql: session.gql, token: session.token, account })
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
        .context("cannot set up the customers")
}

/// The dashboards' admin, when there are dashboards.
pub async fn admin(anonymous: &Gql, args: &TabsArgs) -> anyhow::Result<Option<SignedIn>> {
    if args.dashboards == 0 {
        return Ok(None);
    }
    let Some(password) = args.admin_password.as_deref() else {
        bail!("--dashboards needs --admin-password (create one with `minibank create-admin`)");
    };
    Ok(Some(setup::sign_in(anonymous, &args.admin_login, password).await?))
}
