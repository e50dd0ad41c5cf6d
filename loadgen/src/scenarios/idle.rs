//! The server's memory per idle subscription: RSS before and after opening S
//! subscriptions that receive nothing. With `--per-connection 1` each has a
//! websocket of its own, and the figure per connection is what one idle
//! subscribed socket costs.

use anyhow::Context;
use serde_json::json;

use super::Ctx;
use super::fleet::{Fleet, Shape};
use crate::cli::SubscribeArgs;
use crate::report::Summary;
use crate::rss;
use crate::setup;

pub async fn run(ctx: &Ctx, args: &SubscribeArgs) -> anyhow::Result<Summary> {
    let pid = ctx.common.server_pid.context("--idle needs --server-pid")?;
    let session = setup::prepare(&ctx.anonymous, 0, "0", 1).await?;
    ctx.say("waiting for the server's RSS to settle");
    let before = rss::settled(pid).await?;
    ctx.say(format!("opening {} idle subscriptions", args.subscribers));
    let opened = std::time::Instant::now();
    let shape =
        Shape { subscribers: args.subscribers, per_connection: args.per_connection(), operations: args.operations };
    crate::ws::raise_open_files();
    let fleet = Fleet::open(ctx.anonymous.url(), &session.token, shape).await?;
    let open_s = opened.elapsed().as_secs_f64();
    let after = rss::settled(pid).await?;
    let connections = fleet.connections;
    let gathered = fleet.close().await;
    let mut summary = Summary::new("subscribe --idle", args.subscribers);
    summary.duration_s = open_s;
    summary.server_memory = rss::read(pid).ok();
    let grown = after.saturating_sub(before);
    summary.detail(
        "idle",
        json!({
            "subscriptions": args.subscribers,
            "connections": connections,
            "rss_before_bytes": before,
            "rss_after_bytes": after,
            "bytes_per_subscription": grown as f64 / args.subscribers.max(1) as f64,
            // With --per-connection 1: what one idle subscribed socket costs.
            "bytes_per_connection": grown as f64 / connections.max(1) as f64,
            "seconds_to_open": open_s,
        }),
    );
    if let Some(first) = gathered.problems.first() {
        summary.fail(format!("{} subscription problems, the first: {first}", gathered.problems.len()));
    }
    Ok(summary)
}
