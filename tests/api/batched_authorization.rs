//! The batched paths of nested queries (owners, transaction pages, the
//! transfer of a transaction, both parties of a transfer) show a customer
//! exactly what the one-row paths do: their own things in full, the other
//! side of a transfer by its public face only, nothing else of anyone else.

use serde_json::{Value, json};

use crate::helpers::{User, code, spawn_app};

fn transfers_seen(data: &Value) -> Vec<Value> {
    data["accounts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["transactions"]["nodes"].as_array().unwrap().clone())
        .filter(|t| !t["transfer"].is_null())
        .map(|t| t["transfer"].clone())
        .collect()
}

#[tokio::test]
async fn a_customer_sees_only_their_own_rows_through_batched_paths() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let (alice_account, _) = app.open_account(&alice).await;
    let (bob_account, bob_number) = app.open_account(&bob).await;
    let (bob_second, _) = app.open_account(&bob).await;
    app.money(&alice, "deposit", &alice_account, "100.00").await;
    app.money(&bob, "deposit", &bob_account, "500.00").await;
    app.money(&bob, "deposit", &bob_second, "700.00").await;
    let sent = app.transfer(&alice, &alice_account, &bob_account, "25.00").await;
    let transfer_id = sent["data"]["transfer"]["transfer"]["id"].as_str().unwrap().to_string();
    app.settled(&alice, &transfer_id).await;
    let back = app.transfer(&bob, &bob_account, &alice_account, "5.00").await;
    app.settled(&bob, back["data"]["transfer"]["transfer"]["id"].as_str().unwrap()).await;

    let query = "{ accounts(first: 10) { totalCount nodes { id owner { id username } transactions(first: 10) { totalCount nodes { kind amount transfer { id amount from { id number } to { id number } } } } } } }";
    let data = app.ok(Some(&alice.token), query, json!({})).await;
    let accounts = data["accounts"]["nodes"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "only alice's account: {data}");
    assert_eq!(accounts[0]["id"], alice_account);
    assert_eq!(accounts[0]["owner"]["username"], "alice");
    assert_eq!(accounts[0]["transactions"]["totalCount"], 3, "her deposit, the transfer out and the one back");
    let transfers = transfers_seen(&data);
    assert_eq!(transfers.len(), 2);
    for transfer in &transfers {
        let sides = [&transfer["from"]["id"], &transfer["to"]["id"]];
        assert!(sides.contains(&&json!(alice_account)) && sides.contains(&&json!(bob_account)), "{transfer}");
    }
    assert!(!data.to_string().contains(&bob_second), "bob's other account never shows");

    // Bob's side of those transfers: its public face only, as on the one-row path.
    for field in ["balance", "owner { id }", "transactions(first: 1) { totalCount }"] {
        let query = format!(
            "{{ accounts(first: 5) {{ nodes {{ transactions(first: 5) {{ nodes {{ transfer {{ from {{ id }} to {{ id number {field} }} }} }} }} }} }} }}"
        );
        let response = app.gql(Some(&alice.token), &query, json!({})).await;
        assert_eq!(code(&response), Some("FORBIDDEN"), "{field} of bob's account: {response}");
        assert!(!response.to_string().contains("500.00") && !response.to_string().contains("\"bob\""), "{response}");
    }
    let public = "{ accounts { nodes { transactions { nodes { transfer { to { id number } } } } } } }";
    let data = app.ok(Some(&alice.token), public, json!({})).await;
    assert!(transfers_seen(&data).iter().any(|t| t["to"]["number"] == bob_number));

    // Her client, with its accounts: hers only; bob's client is absent.
    let data = app.ok(Some(&alice.token), "{ me { accounts { nodes { id owner { username } } } } }", json!({})).await;
    assert_eq!(data["me"]["accounts"]["nodes"], json!([{ "id": alice_account, "owner": { "username": "alice" } }]));
    let query = "query($id: ID!) { client(id: $id) { accounts { nodes { id } } } }";
    let data = app.ok(Some(&alice.token), query, json!({ "id": bob.id })).await;
    assert_eq!(data["client"], Value::Null);

    // The admin sees both sides in full through the same paths.
    let admin: User = app.admin().await;
    let query = "{ accounts(first: 10) { nodes { transactions(first: 5) { nodes { transfer { from { balance owner { username } } to { balance owner { username } } } } } } } }";
    let data = app.ok(Some(&admin.token), query, json!({})).await;
    let owners: Vec<Value> = transfers_seen(&data).iter().map(|t| t["to"]["owner"]["username"].clone()).collect();
    assert!(owners.contains(&json!("bob")) && owners.contains(&json!("alice")), "{data}");
}
