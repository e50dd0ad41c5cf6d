//! The closed-loop HTTP scenarios: deposits, mixed, hot-account, queries, transfers.

use std::sync::Arc;

use anyhow::Context;
use rand::Rng;
use rand::rngs::SmallRng;

use super::{Ctx, Unsupported};
use crate::baseline;
use crate::cli::Baseline;
use crate::client::Failure;
use crate::ops;
use crate::report::Summary;
use crate::runner::{self, MakeOp, Op};
use crate::setup::{self, Session};

const INSUFFICIENT_FUNDS: &[&str] = &["INSUFFICIENT_FUNDS"];

fn random_account<'a>(rng: &mut SmallRng, accounts: &'a [String]) -> &'a str {
    &accounts[rng.random_range(0..accounts.len())]
}

/// 1.00 to 100.00.
fn random_amount(rng: &mut SmallRng) -> String {
    ops::amount(rng.random_range(100..=10_000))
}

fn deposit(rng: &mut SmallRng, accounts: &[String]) -> Op {
    let account = random_account(rng, accounts);
    Op { query: ops::DEPOSIT, variables: ops::money(account, &random_amount(rng)), mutation: true, expected: &[] }
}

fn withdraw(rng: &mut SmallRng, accounts: &[String]) -> Op {
    let account = random_account(rng, accounts);
    Op {
        query: ops::WITHDRAW,
        variables: ops::money(account, &random_amount(rng)),
        mutation: true,
        expected: INSUFFICIENT_FUNDS,
    }
}

fn read(rng: &mut SmallRng, accounts: &[String]) -> Op {
    Op { query: ops::ACCOUNT, variables: ops::account(random_account(rng, accounts)), mutation: false, expected: &[] }
}

/// What `--session` keeps between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    token: String,
    accounts: Vec<String>,
}

async fn prepare(ctx: &Ctx, accounts: usize) -> anyhow::Result<Session> {
    let saved_at = ctx.common.session.as_deref();
    if let Some(path) = saved_at.filter(|p| p.exists()) {
        let raw = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let saved: Saved =
            serde_json::from_str(&raw).with_context(|| format!("{} is not a session", path.display()))?;
        anyhow::ensure!(saved.accounts.len() == accounts, "{} holds {} accounts", path.display(), saved.accounts.len());
        ctx.say(format!("setup: reusing the customer and {accounts} accounts of {}", path.display()));
        let gql = ctx.anonymous.with_token(&saved.token);
        return Ok(Session { gql, token: saved.token, accounts: saved.accounts });
    }
    ctx.say(format!("setup: registering a customer and opening {accounts} accounts"));
    let session = setup::prepare(&ctx.anonymous, accounts, &ctx.common.fund, ctx.common.clients).await?;
    if let Some(path) = saved_at {
        let saved = Saved { token: session.token.clone(), accounts: session.accounts.clone() };
        std::fs::write(path, serde_json::to_string(&saved)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(session)
}

pub async fn deposits(ctx: &Ctx, args: &Baseline, name: &str, accounts: usize) -> anyhow::Result<Summary> {
    let session = prepare(ctx, accounts).await?;
    let ids = Arc::new(session.accounts.clone());
    let make: MakeOp = Arc::new(move |rng| deposit(rng, &ids));
    let run = runner::run(name, &session.gql, ctx.plan(), make).await;
    let mut summary = Summary::from_run(name, ctx.common.clients, &run);
    if args.baseline {
        let url = args.database_url.as_deref().context("--baseline needs --database-url")?;
        ctx.say("baseline: the same deposits as hand-written SQL");
        let connections = args.baseline_connections;
        let options = baseline::Options {
            order_lock: args.baseline_order_lock,
            sqlite_normal_sync: args.baseline_sqlite_normal_sync,
        };
        let base = baseline::run(url, &session.accounts, ctx.plan(), connections, options).await?;
        summary.detail("baseline", base.figures(summary.throughput_ops_s));
        if base.errors > 0 {
            summary.fail(format!("{} baseline transactions failed", base.errors));
        }
    }
    Ok(summary)
}

pub async fn mixed(ctx: &Ctx, read_ratio: f64) -> anyhow::Result<Summary> {
    let session = prepare(ctx, ctx.common.accounts).await?;
    let ids = Arc::new(session.accounts.clone());
    let ratio = read_ratio.clamp(0.0, 1.0);
    let make: MakeOp = Arc::new(move |rng| {
        if rng.random_bool(ratio) {
            read(rng, &ids)
        } else if rng.random_bool(0.5) {
            deposit(rng, &ids)
        } else {
            withdraw(rng, &ids)
        }
    });
    let run = runner::run("mixed", &session.gql, ctx.plan(), make).await;
    let mut summary = Summary::from_run("mixed", ctx.common.clients, &run);
    summary.detail("read_ratio", ratio);
    Ok(summary)
}

pub async fn queries(ctx: &Ctx) -> anyhow::Result<Summary> {
    let session = prepare(ctx, ctx.common.accounts).await?;
    // A few transactions per account so the 20 newest are worth reading.
    let seed_count = (session.accounts.len() * 5) as u64;
    let ids = Arc::new(session.accounts.clone());
    let seeder = ids.clone();
    let seed_plan = runner::Plan { count: Some(seed_count), quiet: true, ..ctx.plan() };
    let make: MakeOp = Arc::new(move |rng| deposit(rng, &seeder));
    let seeded = runner::run("seed", &session.gql, seed_plan, make).await;
    anyhow::ensure!(
        seeded.tally.unexpected() == 0,
        "seeding deposits failed: {:?} {:?}",
        seeded.tally.errors,
        seeded.tally.transport
    );
    let make: MakeOp = Arc::new(move |rng| read(rng, &ids));
    let run = runner::run("queries", &session.gql, ctx.plan(), make).await;
    Ok(Summary::from_run("queries", ctx.common.clients, &run))
}

pub async fn transfers(ctx: &Ctx) -> anyhow::Result<Summary> {
    let session = prepare(ctx, ctx.common.accounts.max(2)).await?;
    let ids = Arc::new(session.accounts.clone());
    let probe = session.gql.execute(ops::TRANSFER, ops::transfer(&ids[0], &ids[1], "0.01")).await;
    match probe {
        Err(Failure::Graphql { code, message }) if code == "GRAPHQL_VALIDATION_FAILED" => {
            return Err(Unsupported(format!("the server has no transfer mutation yet ({message})")).into());
        }
        Err(Failure::Transport(kind)) => {
            anyhow::bail!("the first transfer got no answer: {kind}")
        }
        _ => {}
    }
    let make: MakeOp = Arc::new(move |rng| {
        let from = random_account(rng, &ids);
        let mut to = random_account(rng, &ids);
        while to == from {
            to = random_account(rng, &ids);
        }
        Op {
            query: ops::TRANSFER,
            variables: ops::transfer(from, to, &random_amount(rng)),
            mutation: true,
            expected: INSUFFICIENT_FUNDS,
        }
    });
    let run = runner::run("transfers", &session.gql, ctx.plan(), make).await;
    Ok(Summary::from_run("transfers", ctx.common.clients, &run))
}
