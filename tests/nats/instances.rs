//! Two instances on one PostgreSQL database: exactly one relays; when it is
//! killed the other takes over within seconds, and the stream still equals
//! the log. Wake-ups between them go through NATS (polling is off).

use std::time::{Duration, Instant};

use crate::client::{deposit, http, open_account, sign_up};
use crate::server_process::ServerProcess;
use crate::support::{
    Names, assert_stream_equals_log, create_admin, logged_events, serve, shared_nats_url, sign_in, stream_messages,
    wait_for_stream,
};
use crate::test_database::TestDatabase;

const LEADS: &str = "now relays the committed events";
const STANDS_BY: &str = "stands by";

fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect("the two-instance tests need TEST_DATABASE_URL (PostgreSQL)")
}

async fn wait_for_line(server: &ServerProcess, text: &str, within: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < within {
        if server.later_log().iter().chain(&server.log).any(|line| line.contains(text)) {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {text:?} within {within:?}: {:?}", server.later_log());
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TEST_DATABASE_URL=... cargo test --test nats -- --include-ignored"]
async fn when_the_relaying_instance_dies_the_other_takes_over_and_the_stream_still_equals_the_log() {
    let database = TestDatabase::postgres(postgres_url()).await;
    create_admin(database.url());
    let names = Names::on(&shared_nats_url());
    // Polling off: each instance learns of the other's commits only by NATS.
    let polling_off = [("FEED_POLL_MS", "600000")];
    let mut a = serve(database.url(), &names.env(), &polling_off);
    wait_for_line(&a, LEADS, Duration::from_secs(10)).await;
    let b = serve(database.url(), &names.env(), &polling_off);
    wait_for_line(&b, STANDS_BY, Duration::from_secs(10)).await;

    let http = http();
    let token = sign_up(&http, &b.url(), "alice").await;
    let account = open_account(&http, &b.url(), &token).await;
    // Committed through B, relayed by A: A's feed hears of them by NATS.
    for _ in 0..30 {
        assert!(deposit(&http, &b.url(), &token, &account, "1").await["errors"].is_null());
    }
    let admin = sign_in(&http, &b.url(), "admin").await;
    let logged = logged_events(&http, &b.url(), &admin).await;
    let held = wait_for_stream(&names, logged.len(), Duration::from_secs(5)).await;
    assert_eq!(held, logged.len(), "A relayed B's commits, woken through NATS");

    // Kill the relaying instance in the middle of a load through both.
    let load = tokio::spawn({
        let (http, url, token, account) = (http.clone(), b.url(), token.clone(), account.clone());
        async move {
            for _ in 0..150 {
                assert!(deposit(&http, &url, &token, &account, "1").await["errors"].is_null());
            }
        }
    });
    for _ in 0..40 {
        let _ = deposit(&http, &a.url(), &token, &account, "1").await;
    }
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let took_over = wait_for_line(&b, LEADS, Duration::from_secs(10)).await;
    assert!(took_over < Duration::from_secs(5), "B took over after {took_over:?}");
    load.await.unwrap();

    let logged = logged_events(&http, &b.url(), &admin).await;
    let held = wait_for_stream(&names, logged.len(), Duration::from_secs(20)).await;
    assert_eq!(held, logged.len(), "the stream caught up with the log");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = stream_messages(&names).await;
    assert_stream_equals_log(&names, &messages, &logged);
    names.delete_stream().await;
}
