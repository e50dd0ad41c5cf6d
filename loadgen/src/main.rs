//! `loadgen`: drives a running minibank server over GraphQL (HTTP and
//! websockets) and reports throughput, latency, errors and memory.

mod baseline;
mod cli;
mod client;
mod cpu;
mod ops;
mod probe;
mod progress;
mod report;
mod rss;
mod runner;
mod scenarios;
mod server_metrics;
mod setup;
mod stats;
mod ws;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use cli::{Cli, Scenario, SubscribeShape};
use client::Gql;
use report::Summary;
use scenarios::{Ctx, Unsupported, catch_up, http, idle, nested, relay_backlog, relay_latency, subscribe, tabs};

/// Exit codes: 0 passed, 1 failed (errors, unanswered or missed events),
/// 2 could not run, 3 the server does not support the scenario yet.
const FAILED: u8 = 1;
const BROKEN: u8 = 2;
const UNSUPPORTED: u8 = 3;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    probe::install(&cli.common);
    let ctx = match Gql::new(&cli.common.url, Duration::from_secs(cli.common.timeout_seconds)) {
        Ok(anonymous) => Ctx { common: cli.common.clone(), anonymous },
        Err(err) => {
            eprintln!("loadgen: {err:#}");
            return ExitCode::from(BROKEN);
        }
    };
    match run(&ctx, &cli.scenario).await {
        Ok(summary) => finish(&ctx, summary),
        Err(err) if err.is::<Unsupported>() => {
            eprintln!("loadgen: skipped: {err}");
            ExitCode::from(UNSUPPORTED)
        }
        Err(err) => {
            eprintln!("loadgen: {err:#}");
            ExitCode::from(BROKEN)
        }
    }
}

async fn run(ctx: &Ctx, scenario: &Scenario) -> anyhow::Result<Summary> {
    match scenario {
        Scenario::Deposits(args) => http::deposits(ctx, args, "deposits", ctx.common.accounts).await,
        Scenario::HotAccount(args) => http::deposits(ctx, args, "hot-account", 1).await,
        Scenario::Mixed { read_ratio } => http::mixed(ctx, *read_ratio).await,
        Scenario::Queries => http::queries(ctx).await,
        Scenario::Nested(args) => nested::run(ctx, args).await,
        Scenario::Transfers => http::transfers(ctx).await,
        Scenario::Subscribe(args) if args.shape == SubscribeShape::Tabs => tabs::run(ctx, args).await,
        Scenario::Subscribe(args) if args.idle => idle::run(ctx, args).await,
        Scenario::Subscribe(args) => subscribe::run(ctx, args).await,
        Scenario::CatchUp { events } => catch_up::run(ctx, *events).await,
        Scenario::RelayLatency(args) => relay_latency::run(ctx, args).await,
        Scenario::RelayBacklog(args) => relay_backlog::run(ctx, args).await,
    }
}

fn finish(ctx: &Ctx, mut summary: Summary) -> ExitCode {
    if let Some(pid) = ctx.common.server_pid {
        match rss::read(pid) {
            Ok(memory) => summary.server_memory = Some(memory),
            Err(err) => eprintln!("loadgen: {err:#}"),
        }
    }
    summary.print();
    if let Some(path) = &ctx.common.json
        && let Err(err) = summary.write_json(path)
    {
        eprintln!("loadgen: {err:#}");
        return ExitCode::from(BROKEN);
    }
    if summary.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(FAILED) }
}
