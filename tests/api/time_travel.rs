//! `accountAt` at every version, with snapshots underneath; and events of an
//! older schema version, written straight into the log, read through the upcasters.

use chrono::Utc;
use minibank::infrastructure::PoolSettings;
use minibank::infrastructure::connect;
use minibank::infrastructure::entities::event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, NotSet};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, User, spawn_app_with};

const ACCOUNT_AT: &str = "query($id: ID!, $version: Int) { accountAt(id: $id, version: $version) { balance version } }";

async fn account_at(app: &TestApp, user: &User, id: &str, version: Option<i32>) -> Value {
    let data = app.ok(Some(&user.token), ACCOUNT_AT, json!({ "id": id, "version": version })).await;
    data["accountAt"].clone()
}

#[tokio::test]
async fn account_at_every_version_equals_the_state_after_that_event() {
    let app = spawn_app_with(|settings| settings.snapshot_every = 4).await;
    let alice = app.register("alice").await;
    let (id, _) = app.open_account(&alice).await;
    let mut expected = vec![json!({ "balance": "0.00", "version": 1 })];
    for i in 2..=30 {
        let (operation, amount) = if i % 5 == 0 { ("withdraw", "3.25") } else { ("deposit", "10.50") };
        let response = app.money(&alice, operation, &id, amount).await;
        let account = &response["data"][operation]["account"];
        assert_eq!(account["version"], i, "{response}");
        expected.push(account.clone());
    }
    for (version, after) in (1..).zip(&expected) {
        assert_eq!(&account_at(&app, &alice, &id, Some(version)).await, after, "version {version}");
    }
    assert_eq!(&account_at(&app, &alice, &id, None).await, expected.last().unwrap());
}

/// Appends an event as older code wrote it, bypassing today's store.
async fn append_raw(app: &TestApp, stream_id: Uuid, version: i32, event_type: &str, data: Value) {
    let db = connect(app.database_url(), &PoolSettings::with_max_connections(1)).await.unwrap();
    let row = event::ActiveModel {
        position: NotSet,
        id: Set(Uuid::now_v7()),
        stream_id: Set(stream_id),
        stream_type: Set("ACCOUNT".into()),
        version: Set(version),
        event_type: Set(event_type.into()),
        schema_version: Set(1),
        data: Set(data),
        metadata: Set(json!({ "correlationId": Uuid::now_v7() })),
        recorded_at: Set(Utc::now()),
    };
    row.insert(&db).await.unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn v1_money_events_without_description_load_and_are_shown_in_todays_shape() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app.register("alice").await;
    let (id, _) = app.open_account(&alice).await;
    let stream = Uuid::parse_str(&id).unwrap();
    append_raw(&app, stream, 2, "MoneyDeposited", json!({ "amount": "100.00", "balanceAfter": "100.00" })).await;
    append_raw(&app, stream, 3, "MoneyWithdrawn", json!({ "amount": "25.00", "balanceAfter": "75.00" })).await;

    // The aggregate replays them: time travel, and the next command decides on top of them.
    assert_eq!(account_at(&app, &alice, &id, Some(2)).await, json!({ "balance": "100.00", "version": 2 }));
    assert_eq!(account_at(&app, &alice, &id, None).await, json!({ "balance": "75.00", "version": 3 }));
    let response = app.money(&alice, "withdraw", &id, "80.00").await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "INSUFFICIENT_FUNDS", "{response}");
    // (The mutation's `account` comes from the read model, which rows written
    // behind the store's back never reach; its events come from the aggregate.
    // The projection itself reads v1 events through the upcasters: see the store tests.)
    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { events { version data } } }";
    let input = json!({ "input": { "accountId": id, "amount": "5.00" } });
    let data = app.ok(Some(&alice.token), deposit, input).await;
    let decided = &data["deposit"]["events"][0];
    assert_eq!((&decided["version"], &decided["data"]["balanceAfter"]), (&json!(4), &json!("80.00")), "{data}");

    // The log shows them upcast: today's shape and schema version.
    let data = app
        .ok(
            Some(&alice.token),
            "query($id: ID!) { events(filter: { streamIds: [$id] }) { nodes { type version schemaVersion data } } }",
            json!({ "id": id }),
        )
        .await;
    let nodes = data["events"]["nodes"].as_array().unwrap();
    let shown: Vec<_> =
        nodes.iter().map(|n| (n["type"].as_str().unwrap(), n["schemaVersion"].as_i64().unwrap())).collect();
    assert_eq!(
        shown,
        [("AccountOpened", 1), ("MoneyDeposited", 2), ("MoneyWithdrawn", 2), ("MoneyDeposited", 2)],
        "{data}"
    );
    assert_eq!(nodes[1]["data"], json!({ "amount": "100.00", "description": null, "balanceAfter": "100.00" }));
    assert_eq!(nodes[2]["data"], json!({ "amount": "25.00", "description": null, "balanceAfter": "75.00" }));
}
