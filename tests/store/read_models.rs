//! Client and account read models: lookups, search and pages.

use minibank::application::pagination::PageRequest;
use minibank::application::ports::{AccountListFilter, AccountReadModel, ClientReadModel, EventStore};
use minibank::domain::StreamType;
use minibank::domain::account::AccountStatus;
use minibank::domain::value::Role;
use minibank::infrastructure::{SeaOrmAccountReadModel, SeaOrmClientReadModel};
use uuid::Uuid;

use crate::events::{append, closed, opened, register};
use crate::support::on_each_backend;

fn page(first: u64, after: Option<i64>) -> PageRequest {
    PageRequest { after, first, count_total: true }
}

#[tokio::test]
async fn clients_are_found_by_login_and_searched_in_registration_order() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let clients = SeaOrmClientReadModel::new(backend.db.clone());
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        for (id, (name, first)) in ids.iter().zip([("dave", "Dave"), ("erin_x", "Erin"), ("frank", "Frank%")]) {
            let email = format!("{name}@Example.com");
            store.commit(register(*id, name, &email, first)).await.unwrap();
        }

        let view = clients.get(ids[0]).await.unwrap().unwrap();
        assert_eq!(view.username, "dave");
        assert_eq!(view.email, "dave@Example.com");
        assert_eq!(view.role, Role::Customer);
        assert_eq!(view.version, 1);
        for login in ["DAVE", " dave@example.COM "] {
            let credentials = clients.credentials(login).await.unwrap().unwrap();
            assert_eq!(credentials.id, ids[0], "{}", backend.name);
        }
        assert!(clients.credentials("nobody").await.unwrap().is_none());

        let all = clients.list(None, &page(2, None)).await.unwrap();
        assert_eq!(all.total_count, 3);
        assert!(all.has_next_page);
        let order: Vec<_> = all.items.iter().map(|(_, c)| c.id).collect();
        assert_eq!(order, ids[..2]);
        let next = clients.list(None, &page(2, Some(all.items[1].0))).await.unwrap();
        assert_eq!(next.items.len(), 1);
        assert_eq!(next.items[0].1.id, ids[2]);
        assert!(!next.has_next_page);

        let found = clients.list(Some("ERIN"), &page(10, None)).await.unwrap();
        assert_eq!(found.total_count, 1, "{}", backend.name);
        assert_eq!(found.items[0].1.id, ids[1]);
        // Wildcards in the search term are taken literally.
        let found = clients.list(Some("%"), &page(10, None)).await.unwrap();
        assert_eq!(found.total_count, 1, "{}", backend.name);
        assert_eq!(found.items[0].1.id, ids[2]);
        let found = clients.list(Some("_"), &page(10, None)).await.unwrap();
        assert_eq!(found.total_count, 1, "{}", backend.name);
        assert_eq!(found.items[0].1.id, ids[1]);
        let found = clients.list(Some("example.com"), &page(10, None)).await.unwrap();
        assert_eq!(found.total_count, 3);
    })
    .await;
}

#[tokio::test]
async fn accounts_are_listed_by_owner_and_status() {
    on_each_backend(|backend| async move {
        let store = backend.store();
        let accounts = SeaOrmAccountReadModel::new(backend.db.clone());
        let (owner, stranger) = (Uuid::now_v7(), Uuid::now_v7());
        let mut mine = Vec::new();
        for payload in 10..13 {
            let id = Uuid::now_v7();
            store.commit(append(StreamType::Account, id, 0, vec![opened(id, owner, payload)])).await.unwrap();
            mine.push(id);
        }
        let theirs = Uuid::now_v7();
        store.commit(append(StreamType::Account, theirs, 0, vec![opened(theirs, stranger, 20)])).await.unwrap();
        store.commit(append(StreamType::Account, mine[1], 1, vec![closed()])).await.unwrap();

        assert_eq!(accounts.ids_owned_by(owner).await.unwrap(), mine);
        let view = accounts.get(theirs).await.unwrap().unwrap();
        let by_number = accounts.by_number(&view.number).await.unwrap();
        assert_eq!(by_number, Some(view), "{}", backend.name);
        assert!(accounts.by_number("MB0000000000").await.unwrap().is_none());

        let everyone = accounts.list(&AccountListFilter::default(), &page(10, None)).await.unwrap();
        assert_eq!(everyone.total_count, 4);
        let open_of_owner = AccountListFilter { owner_id: Some(owner), status: Some(AccountStatus::Open) };
        let first = accounts.list(&open_of_owner, &page(1, None)).await.unwrap();
        assert_eq!(first.total_count, 2);
        assert!(first.has_next_page);
        assert_eq!(first.items[0].1.id, mine[0]);
        let second = accounts.list(&open_of_owner, &page(1, Some(first.items[0].0))).await.unwrap();
        assert_eq!(second.items[0].1.id, mine[2]);
        assert!(!second.has_next_page);
    })
    .await;
}
