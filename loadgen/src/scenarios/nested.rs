//! `nested`: the accounts list with each owner and the last transactions
//! (issue 17's query), as an admin over every account or as a customer over
//! their own 20. The report adds the server's CPU and statements per query
//! (with `--server-pid`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::json;

use super::Ctx;
use crate::cli::{NestedActor, NestedArgs};
use crate::client::Gql;
use crate::ops;
use crate::report::Summary;
use crate::runner::{self, MakeOp, Op};
use crate::setup;

pub const NESTED: &str = "{ accounts(first: 50) { totalCount nodes { id number balance owner { id username } transactions(first: 5) { totalCount nodes { amount balanceAfter } } } } }";
/// [`NESTED`] as PostGraphile 4 names it over the same tables: the relations
/// come from the smart tags in loadgen/postgraphile/postgraphile.tags.json5,
/// the orders are minibank's (accounts by `seq`, newest transactions first).
pub const POSTGRAPHILE_NESTED: &str = "{ allAccounts(first: 50, orderBy: SEQ_ASC) { totalCount nodes { id number balanceCents owner: clientByOwnerId { id username } transactions: accountTransactionsByAccountId(first: 5, orderBy: POSITION_DESC) { totalCount nodes { amountCents balanceAfterCents } } } } }";
/// The customer's accounts, as in the customer case.
const CUSTOMER_ACCOUNTS: usize = 20;
/// Deposits per account (the funding one included).
const DEPOSITS: usize = 3;
/// /proc's clock ticks per second (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

pub async fn run(ctx: &Ctx, args: &NestedArgs) -> anyhow::Result<Summary> {
    let gql = match args.actor {
        NestedActor::Admin => {
            ctx.say(format!(
                "setup: {} clients with {} accounts of {DEPOSITS} deposits",
                args.owners, args.accounts_each
            ));
            stream::iter(0..args.owners)
                .map(|_| customer(ctx, args.accounts_each))
                .buffer_unordered(ctx.common.clients.max(1))
                .try_collect::<Vec<_>>()
                .await?;
            admin(ctx, args).await?
        }
        NestedActor::Customer => {
            ctx.say(format!("setup: a customer with {CUSTOMER_ACCOUNTS} accounts of {DEPOSITS} deposits"));
            customer(ctx, CUSTOMER_ACCOUNTS).await?
        }
    };
    let first = gql.execute(NESTED, json!({})).await.map_err(|f| anyhow::anyhow!("the nested query failed: {f:?}"))?;
    let listed = first["accounts"]["nodes"].as_array().map_or(0, Vec::len);
    let name = format!("nested-{}", args.actor.name());
    let make: MakeOp = Arc::new(|_| Op { query: NESTED, variables: json!({}), mutation: false, expected: &[] });
    let run = runner::run(&name, &gql, ctx.plan(), make).await;
    let mut summary = Summary::from_run(&name, ctx.common.clients, &run);
    summary.detail("accounts_per_query", listed);
    if let Some(url) = &args.postgraphile_url {
        if args.actor != NestedActor::Admin {
            bail!("--postgraphile-url compares the admin's query (PostGraphile serves every row)");
        }
        let postgraphile = postgraphile(ctx, url, args.postgraphile_pid, listed).await?;
        let ratio = summary.throughput_ops_s / postgraphile.throughput_ops_s.max(1e-9);
        summary.detail("postgraphile", postgraphile);
        summary.detail("ratio_to_postgraphile", ratio);
    }
    Ok(summary)
}

/// The same closed loop against PostGraphile, right after minibank's run.
async fn postgraphile(ctx: &Ctx, url: &str, pid: Option<u32>, listed: usize) -> anyhow::Result<Summary> {
    let gql = Gql::new(url, std::time::Duration::from_secs(ctx.common.timeout_seconds))?;
    let first = gql
        .execute(POSTGRAPHILE_NESTED, json!({}))
        .await
        .map_err(|f| anyhow::anyhow!("PostGraphile did not answer the nested query: {f:?}"))?;
    let nodes = first["allAccounts"]["nodes"].as_array().map_or(0, Vec::len);
    if nodes != listed {
        bail!("PostGraphile lists {nodes} accounts where minibank lists {listed}: not the same data");
    }
    let make: MakeOp =
        Arc::new(|_| Op { query: POSTGRAPHILE_NESTED, variables: json!({}), mutation: false, expected: &[] });
    let cpu_before = pid.map(cpu_seconds).transpose()?;
    let run = runner::run("postgraphile", &gql, ctx.plan(), make).await;
    let cpu_after = pid.map(cpu_seconds).transpose()?;
    let mut summary = Summary::from_run("postgraphile", ctx.common.clients, &run);
    let answered = (summary.operations_ok + summary.operations_expected_errors).max(1) as f64;
    if let Some((before, after)) = cpu_before.zip(cpu_after) {
        summary.detail("postgraphile_cpu_ms_per_op", (after - before) * 1000.0 / answered);
    }
    Ok(summary)
}

/// A new customer with `accounts` accounts, each funded and with two more deposits.
async fn customer(ctx: &Ctx, accounts: usize) -> anyhow::Result<Gql> {
    let session = setup::prepare(&ctx.anonymous, accounts, "100.00", 4).await?;
    for id in &session.accounts {
        for _ in 1..DEPOSITS {
            session.gql.execute(ops::DEPOSIT, ops::money(id, "10.00")).await.context("cannot deposit")?;
        }
    }
    Ok(session.gql)
}

async fn admin(ctx: &Ctx, args: &NestedArgs) -> anyhow::Result<Gql> {
    let Some(password) = args.admin_password.as_deref() else {
        bail!("--as admin needs --admin-password (create one with `minibank create-admin`)");
    };
    Ok(setup::sign_in(&ctx.anonymous, &args.admin_login, password).await?.gql)
}

/// The process's user + system CPU time so far, from /proc/PID/stat.
pub(crate) fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_cpu(&stat).with_context(|| format!("no utime/stime in {path}"))
}

/// Fields 14 and 15 (utime, stime), counted after the command name's `)`.
fn parse_cpu(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND).as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::parse_cpu;

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "1234 (mini bank) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_cpu(stat), Some(3.0));
        assert_eq!(parse_cpu("garbage"), None);
    }
}
