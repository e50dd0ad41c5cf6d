//! On SQLite the read models read their rows inline (on the request's
//! thread, over connections of their own) and must read exactly what they
//! read over the pooled connections: the same rows, pages, cursors and
//! counts, one at a time and by the level, for accounts of every shape
//! (transfers in and out, descriptions, a closed account). Always on SQLite:
//! the inline reads exist only there.

use std::sync::Arc;

use minibank::application::pagination::PageRequest;
use minibank::application::ports::{AccountListFilter, AccountReadModel, ClientReadModel, TransferReadModel};
use minibank::domain::account::AccountStatus;
use minibank::infrastructure::database::{InlineReads, PoolSettings, connect, connect_readers};
use minibank::infrastructure::read_models::{SeaOrmAccountReadModel, SeaOrmClientReadModel, SeaOrmTransferReadModel};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app_on};
use crate::test_database::TestDatabase;

/// Three customers; accounts with deposits (some described), withdrawals,
/// transfers both ways, and one account closed. Returns the account ids.
async fn varied_ledger(app: &TestApp) -> (Vec<Uuid>, Vec<Uuid>) {
    let customers = [app.register("ines").await, app.register("jonas").await, app.register("kemal").await];
    let mut accounts = Vec::new();
    for customer in &customers {
        for _ in 0..2 {
            accounts.push((customer, app.open_account(customer).await.0));
        }
    }
    let deposit = "mutation($input: MoneyInput!) { deposit(input: $input) { position } }";
    for (n, (owner, account)) in accounts.iter().enumerate() {
        for d in 0..(n * 7 % 23 + 1) {
            let mut input = json!({ "accountId": account, "amount": format!("{}.{:02}", 10 + d, d) });
            if d % 3 == 0 {
                input["description"] = json!(format!("deposit {d} of account {n}"));
            }
            app.ok(Some(&owner.token), deposit, json!({ "input": input })).await;
        }
        let withdrawn = app.money(owner, "withdraw", account, "1.50").await;
        assert!(withdrawn.get("errors").is_none(), "{withdrawn}");
    }
    for (from, to) in [(0, 2), (2, 0), (3, 1), (1, 4), (4, 0)] {
        let (owner, source) = &accounts[from];
        let sent = app.transfer(owner, source, &accounts[to].1, "2.25").await;
        let id = sent["data"]["transfer"]["transfer"]["id"].as_str().expect("a transfer").to_string();
        assert_eq!(app.settled(owner, &id).await["status"], "COMPLETED");
    }
    // An account emptied and closed.
    let (owner, closing) = &accounts[5];
    let balance = app.account(owner, closing).await["balance"].as_str().unwrap().to_string();
    assert!(app.money(owner, "withdraw", closing, &balance).await.get("errors").is_none());
    let close = "mutation($input: CloseAccountInput!) { closeAccount(input: $input) { account { status } } }";
    let closed = app.ok(Some(&owner.token), close, json!({ "input": { "accountId": closing } })).await;
    assert_eq!(closed["closeAccount"]["account"]["status"], "CLOSED");

    let ids = |values: Vec<&str>| values.into_iter().map(|id| Uuid::parse_str(id).unwrap()).collect::<Vec<_>>();
    (ids(accounts.iter().map(|(_, id)| id.as_str()).collect()), ids(customers.iter().map(|c| c.id.as_str()).collect()))
}

#[tokio::test]
async fn inline_reads_return_what_the_pooled_read_models_return() {
    let app = spawn_app_on(TestDatabase::sqlite(), |_| {}).await;
    let admin = app.admin().await;
    let (accounts, customers) = varied_ledger(&app).await;

    let writer = connect(app.database_url(), &PoolSettings::default()).await.unwrap();
    let reader = connect_readers(app.database_url(), &PoolSettings::default(), &writer).await.unwrap();
    let inline = Arc::new(InlineReads::beside(&reader).await.unwrap().expect("a SQLite file"));
    let pooled_accounts = SeaOrmAccountReadModel::new(reader.clone());
    let inline_accounts = pooled_accounts.clone().with_inline_reads(inline.clone());
    let pooled_clients = SeaOrmClientReadModel::new(reader.clone());
    let inline_clients = pooled_clients.clone().with_inline_reads(inline.clone());
    let pooled_transfers = SeaOrmTransferReadModel::new(reader.clone());
    let inline_transfers = pooled_transfers.clone().with_inline_reads(inline);
    let missing = Uuid::now_v7();

    let mut pages_compared = 0;
    for id in accounts.iter().copied().chain([missing]) {
        let account = pooled_accounts.get(id).await.unwrap();
        assert_eq!(inline_accounts.get(id).await.unwrap(), account, "account {id}");
        if let Some(account) = &account {
            assert_eq!(inline_accounts.by_number(&account.number).await.unwrap().as_ref(), Some(account));
        }
        // Walk every page size's cursors to the end, with and without the count.
        for first in [0, 1, 2, 5, 20, 100] {
            for count_total in [true, false] {
                let mut page = PageRequest { after: None, first, count_total };
                loop {
                    let expected = pooled_accounts.transactions(id, &page).await.unwrap();
                    assert_eq!(inline_accounts.transactions(id, &page).await.unwrap(), expected, "{id} {page:?}");
                    let batched = inline_accounts.transaction_pages(&[id], &page).await.unwrap();
                    assert_eq!(batched.get(&id), Some(&expected));
                    pages_compared += 1;
                    match expected.items.last() {
                        Some((key, _)) if expected.has_next_page => page.after = Some(*key),
                        _ => break,
                    }
                }
            }
        }
    }
    assert!(pages_compared > 100, "{pages_compared} pages");
    assert_eq!(inline_accounts.by_number("00000000000").await.unwrap(), None);

    // Lists and whole levels, walked page by page.
    let mut some: Vec<Uuid> = accounts.iter().copied().step_by(2).chain([missing]).collect();
    some.reverse();
    assert_eq!(inline_accounts.get_many(&some).await.unwrap(), pooled_accounts.get_many(&some).await.unwrap());
    assert_eq!(inline_accounts.get_many(&[]).await.unwrap(), Vec::new());
    let filters = [
        AccountListFilter::default(),
        AccountListFilter { owner_id: Some(customers[1]), status: None },
        AccountListFilter { owner_id: None, status: Some(AccountStatus::Closed) },
        AccountListFilter { owner_id: Some(missing), status: Some(AccountStatus::Open) },
    ];
    let owners: Vec<Uuid> = customers.iter().copied().chain([missing]).collect();
    for first in [0, 1, 2, 3, 100] {
        for count_total in [true, false] {
            for filter in &filters {
                let mut page = PageRequest { after: None, first, count_total };
                loop {
                    let expected = pooled_accounts.list(filter, &page).await.unwrap();
                    assert_eq!(inline_accounts.list(filter, &page).await.unwrap(), expected, "{filter:?} {page:?}");
                    match expected.items.last() {
                        Some((key, _)) if expected.has_next_page => page.after = Some(*key),
                        _ => break,
                    }
                }
            }
            let page = PageRequest { after: None, first, count_total };
            assert_eq!(
                inline_accounts.pages_by_owner(&owners, &page).await.unwrap(),
                pooled_accounts.pages_by_owner(&owners, &page).await.unwrap()
            );
            let level = inline_accounts.transaction_pages(&accounts, &page).await.unwrap();
            assert_eq!(level, pooled_accounts.transaction_pages(&accounts, &page).await.unwrap());
            // The next page of every account at once, below a version.
            let below = PageRequest { after: Some(4), first, count_total };
            assert_eq!(
                inline_accounts.transaction_pages(&accounts, &below).await.unwrap(),
                pooled_accounts.transaction_pages(&accounts, &below).await.unwrap()
            );
        }
    }

    let admin_id = Uuid::parse_str(&admin.id).unwrap();
    // The accounts' own events (JSON data and metadata), one stream and a level.
    for (after_version, limit) in [(0, 1), (0, 100), (2, 3), (50, 10)] {
        for streams in [&accounts[..1], &accounts[..]] {
            assert_eq!(
                inline_accounts.event_pages(streams, after_version, limit).await.unwrap(),
                pooled_accounts.event_pages(streams, after_version, limit).await.unwrap()
            );
        }
    }

    // Transfers by id and by level.
    let mut transfers = pooled_transfers.ids_involving(&accounts).await.unwrap();
    assert_eq!(transfers.len(), 5);
    transfers.push(missing);
    for id in &transfers {
        assert_eq!(inline_transfers.get(*id).await.unwrap(), pooled_transfers.get(*id).await.unwrap());
    }
    assert_eq!(
        inline_transfers.get_many(&transfers).await.unwrap(),
        pooled_transfers.get_many(&transfers).await.unwrap()
    );

    let clients: Vec<Uuid> = customers.iter().copied().chain([admin_id, missing]).collect();
    for id in &clients {
        let client = pooled_clients.get(*id).await.unwrap();
        assert_eq!(inline_clients.get(*id).await.unwrap(), client, "client {id}");
        assert_eq!(inline_clients.get_many(&[*id]).await.unwrap(), pooled_clients.get_many(&[*id]).await.unwrap());
    }
    assert_eq!(inline_clients.get_many(&clients).await.unwrap(), pooled_clients.get_many(&clients).await.unwrap());
}

#[tokio::test]
async fn a_read_after_a_write_sees_it_inline() {
    let app = spawn_app_on(TestDatabase::sqlite(), |_| {}).await;
    let customer = app.register("lena").await;
    let (account, _) = app.open_account(&customer).await;
    for n in 1..=30 {
        let written = app.money(&customer, "deposit", &account, "1.00").await;
        assert!(written.get("errors").is_none(), "{written}");
        let read = app.account(&customer, &account).await;
        assert_eq!(read["balance"], format!("{n}.00"));
        assert_eq!(read["transactions"]["totalCount"], n);
    }
}

#[tokio::test]
async fn a_database_that_is_no_file_has_no_inline_reads() {
    let writer = connect("sqlite::memory:", &PoolSettings::default()).await.unwrap();
    assert!(InlineReads::beside(&writer).await.unwrap().is_none());
}
