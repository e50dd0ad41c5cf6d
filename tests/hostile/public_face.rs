//! The other side of a transfer is seen only by its public face (id, number,
//! currency, status): every other field of the counterparty's account is
//! FORBIDDEN to a customer who does not own it, and its value never appears.

use serde_json::{Value, json};

use crate::support::{Target, User, code, codes};

const PUBLIC: &str = "id number currency status";
/// Every other field of Account, with what a leak of it would look like.
const PRIVATE: [&str; 9] = [
    "openedAt",
    "updatedAt",
    "balance",
    "overdraftLimit",
    "availableBalance",
    "version",
    "owner { id username }",
    "transactions { totalCount }",
    "events { totalCount }",
];

async fn side(target: &Target, user: &User, transfer: &str, side: &str, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ transfer(id: $id) {{ {side} {{ {fields} }} }} }}");
    target.gql(Some(&user.token), &query, json!({ "id": transfer })).await
}

/// The counterparty's opening instant as only its owner and admins see it.
async fn opened_at(target: &Target, account: &str) -> String {
    let data = target
        .ok(Some(&target.admin.token), "query($id: ID!) { account(id: $id) { openedAt } }", json!({ "id": account }))
        .await;
    data["account"]["openedAt"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn each_party_sees_the_other_side_only_by_its_public_face() {
    let mut target = Target::start().await;
    let (bob, bobs, transfer) = target.transfer_to_bob().await;
    let alices_opened_at = opened_at(&target, &target.account).await;
    let bobs_opened_at = opened_at(&target, &bobs).await;
    for (viewer, other_side, own_side, secret) in
        [(&bob, "from", "to", &alices_opened_at), (&target.alice, "to", "from", &bobs_opened_at)]
    {
        let public = side(&target, viewer, &transfer, other_side, PUBLIC).await;
        assert!(public.get("errors").is_none(), "{public}");
        assert_eq!(public["data"]["transfer"][other_side]["currency"], "EUR");
        for private in PRIVATE {
            let response = side(&target, viewer, &transfer, other_side, &format!("id {private}")).await;
            assert_eq!(code(&response), Some("FORBIDDEN"), "{other_side} {{ {private} }}: {response}");
            assert!(!response.to_string().contains(secret.as_str()), "{private} leaks openedAt: {response}");
            let name = private.split(' ').next().unwrap();
            assert!(response["data"]["transfer"][other_side][name].is_null(), "{private}: {response}");
        }
        let everything = side(&target, viewer, &transfer, other_side, &PRIVATE.join(" ")).await;
        assert!(codes(&everything).iter().all(|c| *c == "FORBIDDEN"), "{everything}");
        assert!(!everything.to_string().contains(secret.as_str()), "{everything}");
        let own = side(&target, viewer, &transfer, own_side, &format!("{PUBLIC} {}", PRIVATE.join(" "))).await;
        assert!(own.get("errors").is_none(), "the own side is seen in full: {own}");
        assert!(own["data"]["transfer"][own_side]["openedAt"].is_string(), "{own}");
    }
    let admin = side(&target, &target.admin, &transfer, "to", &PRIVATE.join(" ")).await;
    assert!(admin.get("errors").is_none(), "{admin}");
    assert_eq!(admin["data"]["transfer"]["to"]["openedAt"], bobs_opened_at.as_str());
    target.assert_serves().await;
}

#[tokio::test]
async fn the_transfer_answer_hides_the_destination_too() {
    let mut target = Target::start().await;
    let (_, bobs, _) = target.transfer_to_bob().await;
    let bobs_opened_at = opened_at(&target, &bobs).await;
    let response = target
        .gql(
            Some(&target.alice.token),
            "mutation($i: TransferInput!) { transfer(input: $i) { transfer { to { id openedAt } } } }",
            json!({ "i": { "fromAccountId": target.account, "toAccountId": bobs, "amount": "1" } }),
        )
        .await;
    assert_eq!(code(&response), Some("FORBIDDEN"), "{response}");
    assert!(!response.to_string().contains(bobs_opened_at.as_str()), "{response}");
    target.assert_serves().await;
}
