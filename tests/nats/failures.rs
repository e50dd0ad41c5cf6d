//! The stream still equals the log after the server is killed mid-load and
//! started again, and after NATS itself is stopped and started mid-load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::client::{deposit, http, open_account, sign_up};
use crate::support::{
    Names, OwnNats, assert_stream_equals_log, create_admin, logged_events, serve, shared_nats_url, sign_in,
    stream_messages, wait_for_stream,
};
use crate::test_database::TestDatabase;

/// Deposits one after another through `url` until told to stop; counts
/// those answered without an error and those that failed.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Load {
    fn start(url: String, token: String, account: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (done, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let task = tokio::spawn({
            let (stop, done, failed) = (stop.clone(), done.clone(), failed.clone());
            async move {
                let http = http();
                while !stop.load(Ordering::Relaxed) {
                    let response = deposit(&http, &url, &token, &account, "1").await;
                    let counter = if response["errors"].is_null() && response.get("transport").is_none() {
                        &done
                    } else {
                        &failed
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Load { stop, done, failed, task }
    }

    async fn until(&self, deposits: usize) {
        while self.done.load(Ordering::Relaxed) < deposits {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn stop(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        (self.done.load(Ordering::Relaxed), self.failed.load(Ordering::Relaxed))
    }
}

async fn assert_stream_caught_up(names: &Names, url: &str, admin: &str) -> usize {
    let http = http();
    let logged = logged_events(&http, url, admin).await;
    let held = wait_for_stream(names, logged.len(), Duration::from_secs(20)).await;
    assert_eq!(held, logged.len(), "the stream caught up with the log");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = stream_messages(names).await;
    assert_stream_equals_log(names, &messages, &logged);
    logged.len()
}

#[tokio::test]
async fn a_server_killed_mid_load_resumes_relaying_without_a_gap_or_a_repeat() {
    let database = TestDatabase::create().await;
    create_admin(database.url());
    let names = Names::on(&shared_nats_url());
    let mut server = serve(database.url(), &names.env(), &[]);
    let http = http();
    let token = sign_up(&http, &server.url(), "alice").await;
    let account = open_account(&http, &server.url(), &token).await;

    let load = Load::start(server.url(), token.clone(), account.clone());
    load.until(150).await;
    server.child.kill().unwrap(); // SIGKILL: no shutdown of any kind
    server.child.wait().unwrap();
    load.stop().await;

    let server = serve(database.url(), &names.env(), &[]);
    let load = Load::start(server.url(), token, account);
    load.until(100).await;
    let (done, failed) = load.stop().await;
    assert_eq!(failed, 0);
    assert!(done >= 100);
    let admin = sign_in(&http, &server.url(), "admin").await;
    let events = assert_stream_caught_up(&names, &server.url(), &admin).await;
    assert!(events > 250, "{events} events");
    names.delete_stream().await;
}

#[tokio::test]
async fn a_nats_restart_mid_load_fails_no_command_and_the_stream_catches_up_in_order() {
    let database = TestDatabase::create().await;
    create_admin(database.url());
    let mut nats = OwnNats::start().await;
    let names = Names::on(&nats.url());
    let server = serve(database.url(), &names.env(), &[]);
    let http = http();
    let token = sign_up(&http, &server.url(), "alice").await;
    let account = open_account(&http, &server.url(), &token).await;

    let load = Load::start(server.url(), token, account);
    load.until(100).await;
    nats.kill();
    let during = load.done.load(Ordering::Relaxed);
    load.until(during + 50).await; // commands go on while NATS is down
    // Down long enough for the relay's publishes to time out: it then
    // resumes from the stream's end once NATS is back.
    let interrupted = || server.later_log().iter().any(|line| line.contains("the relay is interrupted"));
    for _ in 0..200 {
        if interrupted() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(interrupted(), "the relay noticed the outage");
    nats.restart().await;
    let after = load.done.load(Ordering::Relaxed);
    load.until(after + 100).await;
    let (done, failed) = load.stop().await;
    assert_eq!(failed, 0, "a NATS outage fails no command");
    assert!(done >= 250);

    let admin = sign_in(&http, &server.url(), "admin").await;
    assert_stream_caught_up(&names, &server.url(), &admin).await;
    assert!(server.error_lines().is_empty(), "{:?}", server.error_lines());
}
