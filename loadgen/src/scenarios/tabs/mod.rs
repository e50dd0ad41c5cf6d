//! `subscribe --shape tabs`: customers' browser tabs, each on its own
//! customer's account, beside admin dashboards on every event, while a
//! writer deposits into random customers' accounts. Each subscriber must get
//! exactly the changes it may see, once and in order; the report adds
//! latency, server memory per connection and CPU per delivery.

mod customers;
mod layout;
mod listen;
mod reach;
mod verdict;
mod writer;

use std::time::{Duration, Instant};

use anyhow::bail;
use rand::Rng;

use super::Ctx;
use super::paced;
use super::server_cost::ServerCost;
use crate::cli::SubscribeArgs;
use crate::report::Summary;
use crate::ws;
use layout::Layout;
use listen::TabFleet;

/// How long every subscriber has to receive its last change once the writer stopped.
const DRAIN: Duration = Duration::from_secs(15);

pub async fn run(ctx: &Ctx, args: &SubscribeArgs) -> anyhow::Result<Summary> {
    if args.idle {
        bail!("--idle measures the events shape; the tabs shape always writes");
    }
    if args.per_connection.is_some_and(|n| n != 1) {
        bail!("the tabs shape opens one connection per subscription (--per-connection 1)");
    }
    let tabs = &args.tabs;
    let layout = Layout::new(args.subscribers, tabs.dashboards, tabs.customers, tabs.tab_mix);
    let open_files = ws::raise_open_files();
    if let Some(limit) = open_files
        && limit < layout.subscribers as u64 + 64
    {
        bail!(
            "{} connections need more open files than this process may have ({limit}): raise `ulimit -Hn`",
            layout.subscribers
        );
    }
    ctx.say(format!("setup: registering {} customers with one account each", layout.customers));
    let admin = customers::admin(&ctx.anonymous, tabs).await?;
    let customers = customers::register(&ctx.anonymous, layout.customers, ctx.common.clients).await?;
    let mut cost = ServerCost::idle(ctx).await?;
    ctx.say(format!(
        "opening {} connections: {} dashboards, {} tabs of {} customers",
        layout.subscribers,
        layout.dashboards,
        layout.tabs(),
        layout.customers_with_tabs()
    ));
    let opened = Instant::now();
    let fleet =
        TabFleet::open(ctx.anonymous.url(), layout, &customers, admin.as_ref().map(|a| a.token.as_str())).await?;
    let open_s = opened.elapsed().as_secs_f64();
    let warm_up = reach::warm_up(&fleet, &layout, &customers, ctx.common.clients).await?;
    cost.subscribed().await?;
    cost.start_cpu();
    let (run, written) = paced::run(ctx, "subscribe tabs", args.rate, || {
        let customer = rand::rng().random_range(0..customers.len());
        writer::deposit(&customers, customer)
    })
    .await;
    drain(&fleet, &layout, &written).await;
    cost.stop_cpu();
    let connections = fleet.connections();
    let heard = fleet.close().await;
    let verdict = verdict::judge(&layout, &written, &warm_up, &heard);
    let mut summary = Summary::from_run("subscribe --shape tabs", 1, &run);
    summary.detail("writer_rate_target_per_s", args.rate);
    summary.detail("connections", connections);
    summary.detail("customers", layout.customers);
    summary.detail("customers_with_tabs", layout.customers_with_tabs());
    summary.detail("shared_evaluations", layout.shared_evaluations());
    summary.detail("tab_mix_account_share", layout.tab_mix);
    summary.detail("seconds_to_open", open_s);
    summary.detail("open_files_limit", open_files);
    verdict.report(&mut summary);
    cost.report(&mut summary, connections, verdict.delivered(), written.len());
    Ok(summary)
}

/// Until every subscriber has its last change, or `DRAIN` passed.
async fn drain(fleet: &TabFleet, layout: &Layout, written: &[writer::Deposit]) {
    let last = reach::last_keys(layout, written);
    let started = Instant::now();
    while started.elapsed() < DRAIN {
        if last.iter().enumerate().all(|(subscriber, key)| fleet.highest(subscriber) >= *key) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
