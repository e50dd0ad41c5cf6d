//! `projections`: admins see each reader of the log against its head; and a
//! rebuild swapped in under a serving server changes no answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use minibank::infrastructure::projections::{
    self,
    rebuild::{RebuildProgress, Rebuilder},
};
use minibank::infrastructure::{PoolSettings, connect};
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, code, spawn_app};

const STATUS: &str = "{ projections { name position head lag rebuilding } }";

/// The last position of the log, as an admin reads it.
async fn log_head(app: &TestApp, admin: &User) -> String {
    let data =
        app.ok(Some(&admin.token), r#"{ events(after: "0", first: 100) { nodes { position } } }"#, json!({})).await;
    let nodes = data["events"]["nodes"].as_array().unwrap();
    nodes.last().unwrap()["position"].as_str().unwrap().to_owned()
}

fn status<'a>(data: &'a Value, name: &str, rebuilding: bool) -> &'a Value {
    let all = data["projections"].as_array().unwrap();
    all.iter().find(|p| p["name"] == name && p["rebuilding"] == rebuilding).unwrap_or_else(|| panic!("{name}: {data}"))
}

#[tokio::test]
async fn only_admins_see_the_projections_and_their_lag_is_zero_after_commits() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let admin = app.admin().await;
    let (from, _) = app.open_account(&alice).await;
    let (to, _) = app.open_account(&alice).await;
    app.money(&alice, "deposit", &from, "100").await;

    assert_eq!(code(&app.gql(None, STATUS, json!({})).await), Some("UNAUTHENTICATED"));
    assert_eq!(code(&app.gql(Some(&alice.token), STATUS, json!({})).await), Some("FORBIDDEN"));

    let data = app.ok(Some(&admin.token), STATUS, json!({})).await;
    let head = log_head(&app, &admin).await;
    let names: Vec<_> = data["projections"].as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, json!(["accounts", "clients", "transfer_process", "transfers"]).as_array().unwrap().clone());
    for name in ["accounts", "clients", "transfers"] {
        let projection = status(&data, name, false);
        assert_eq!(projection, &json!({ "name": name, "position": head, "head": head, "lag": 0, "rebuilding": false }));
    }
    // No transfer yet: the process has no checkpoint, so it counts from 0.
    let process = status(&data, "transfer_process", false);
    assert_eq!((&process["position"], &process["lag"]), (&json!("0"), &json!(head.parse::<i64>().unwrap())));

    let transfer = app.transfer(&alice, &from, &to, "10").await;
    let transfer_id = transfer["data"]["transfer"]["transfer"]["id"].as_str().unwrap().to_owned();
    app.settled(&alice, &transfer_id).await;
    let requested = app
        .ok(
            Some(&admin.token),
            r#"{ events(first: 100, filter: { types: ["TransferRequested"] }) { nodes { position } } }"#,
            json!({}),
        )
        .await["events"]["nodes"][0]["position"]
        .clone();
    // The process writes its checkpoint after it has settled the transfer,
    // from a task of its own: wait for it (on a busy machine it comes later).
    let mut data = app.ok(Some(&admin.token), STATUS, json!({})).await;
    for _ in 0..200 {
        if status(&data, "transfer_process", false)["position"] == requested {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        data = app.ok(Some(&admin.token), STATUS, json!({})).await;
    }
    let head = log_head(&app, &admin).await;
    assert_eq!(status(&data, "transfer_process", false)["position"], requested);
    assert_eq!(status(&data, "accounts", false)["position"], head.as_str());
    assert_eq!(status(&data, "transfers", false)["lag"], 0);

    // A rebuild in progress shows next to its projection.
    app.server.ctx.checkpoints.advance("accounts__rebuild", 2).await.unwrap();
    let data = app.ok(Some(&admin.token), STATUS, json!({})).await;
    let rebuilding = status(&data, "accounts", true);
    assert_eq!((&rebuilding["position"], &rebuilding["head"]), (&json!("2"), &json!(head)));
    assert_eq!(rebuilding["lag"], head.parse::<i64>().unwrap() - 2);
}

struct Quiet;

impl RebuildProgress for Quiet {
    fn advanced(&mut self, _done: u64, _total: u64) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_serving_server_answers_right_across_rebuilds() {
    let app = Arc::new(spawn_app().await);
    let alice = Arc::new(app.register("alice").await);
    let (account, _) = app.open_account(&alice).await;
    for _ in 0..20 {
        app.money(&alice, "deposit", &account, "1.00").await;
    }
    // One client deposits and reads its account back, over and over: each
    // answer must show exactly the money deposited so far.
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicUsize::new(0));
    let client = {
        let (app, alice, stop, account, made) =
            (app.clone(), alice.clone(), stop.clone(), account.clone(), made.clone());
        tokio::spawn(async move {
            let mut deposits = 20;
            while !stop.load(Ordering::SeqCst) {
                let deposited = app.money(&alice, "deposit", &account, "1.00").await;
                assert!(deposited.get("errors").is_none(), "{deposited}");
                deposits += 1;
                made.fetch_add(1, Ordering::SeqCst);
                let seen = app.account(&alice, &account).await;
                assert_eq!(seen["balance"], format!("{deposits}.00"));
                assert_eq!(seen["transactions"]["totalCount"], deposits);
            }
            deposits
        })
    };
    let db = connect(app.database_url(), &PoolSettings::with_max_connections(4)).await.unwrap();
    let rebuilder = Rebuilder::new(db, 5);
    let mut rounds = 0;
    while rounds < 3 || made.load(Ordering::SeqCst) < 30 {
        for projection in projections::all() {
            rebuilder.rebuild(projection, &mut Quiet).await.unwrap();
        }
        rounds += 1;
        assert!(rounds < 1_000, "the client is stuck");
    }
    stop.store(true, Ordering::SeqCst);
    let deposits = client.await.unwrap();
    assert!(deposits >= 50, "the client kept going: {deposits}");
    assert_eq!(app.account(&alice, &account).await["balance"], format!("{deposits}.00"));
}
