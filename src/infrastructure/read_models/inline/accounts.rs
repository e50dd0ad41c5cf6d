//! [`AccountReadModel`] on SQLite: one account and one account's page of
//! transactions read inline, the rest by [`SeaOrmAccountReadModel`].

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rusqlite::Row;
use uuid::Uuid;

use super::rows::{instant, optional_uuid, uuid};
use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{AccountListFilter, AccountReadModel, AccountView, RecordedEvent, TransactionView};
use crate::infrastructure::database::InlineReads;
use crate::infrastructure::entities::{account, account_transaction};
use crate::infrastructure::read_models::SeaOrmAccountReadModel;
use crate::infrastructure::read_models::accounts::{to_account_view, to_transaction_view};

/// The columns [`account_model`] reads, in its order.
macro_rules! select_account {
    () => {
        "SELECT id, seq, number, owner_id, currency, balance_cents, overdraft_limit_cents, status, version, \
         opened_at, updated_at, last_position FROM accounts"
    };
}
const BY_ID: &str = concat!(select_account!(), " WHERE id = ?1");
const BY_NUMBER: &str = concat!(select_account!(), " WHERE number = ?1");
/// Newest first, below a version (the cursor), by `ux_account_transactions_account_version`.
const TRANSACTIONS: &str = "SELECT id, account_id, version, kind, amount_cents, balance_after_cents, description, \
    transfer_id, occurred_at, position FROM account_transactions \
    WHERE account_id = ?1 AND version < ?2 ORDER BY version DESC LIMIT ?3";

pub struct InlineAccountReadModel {
    inline: Arc<InlineReads>,
    rest: SeaOrmAccountReadModel,
}

impl InlineAccountReadModel {
    pub fn new(inline: Arc<InlineReads>, rest: SeaOrmAccountReadModel) -> Self {
        InlineAccountReadModel { inline, rest }
    }

    fn one(&self, sql: &str, key: &dyn rusqlite::ToSql) -> anyhow::Result<Option<AccountView>> {
        let row = self.inline.read(|reader| reader.row(sql, [key], account_model)).context("cannot read an account")?;
        row.map(to_account_view).transpose()
    }
}

#[async_trait]
impl AccountReadModel for InlineAccountReadModel {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<AccountView>> {
        self.one(BY_ID, &id.as_bytes().as_slice())
    }

    async fn by_number(&self, number: &str) -> anyhow::Result<Option<AccountView>> {
        self.one(BY_NUMBER, &number)
    }

    async fn list(&self, filter: &AccountListFilter, page: &PageRequest) -> anyhow::Result<Page<AccountView>> {
        self.rest.list(filter, page).await
    }

    async fn ids_owned_by(&self, owner_id: Uuid) -> anyhow::Result<Vec<Uuid>> {
        self.rest.ids_owned_by(owner_id).await
    }

    async fn transactions(&self, account_id: Uuid, page: &PageRequest) -> anyhow::Result<Page<TransactionView>> {
        let id = account_id.as_bytes().as_slice();
        let below = page.after.unwrap_or(i64::MAX);
        let limit = i64::try_from(page.first + 1).unwrap_or(i64::MAX);
        // Counting reads every transaction of the account, however many: not
        // a short read, so the pooled connections count.
        let total = page.total(self.rest.count_transactions(account_id)).await?;
        let rows = self
            .inline
            .read(|reader| reader.rows(TRANSACTIONS, rusqlite::params![id, below, limit], transaction_model))
            .with_context(|| format!("cannot list the transactions of {account_id}"))?;
        let items = rows
            .into_iter()
            .map(|row| Ok((i64::from(row.version), to_transaction_view(row)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.first, total))
    }

    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<AccountView>> {
        self.rest.get_many(ids).await
    }

    async fn pages_by_owner(
        &self,
        owner_ids: &[Uuid],
        page: &PageRequest,
    ) -> anyhow::Result<HashMap<Uuid, Page<AccountView>>> {
        self.rest.pages_by_owner(owner_ids, page).await
    }

    async fn transaction_pages(
        &self,
        account_ids: &[Uuid],
        page: &PageRequest,
    ) -> anyhow::Result<HashMap<Uuid, Page<TransactionView>>> {
        match account_ids {
            [account_id] => Ok(HashMap::from([(*account_id, self.transactions(*account_id, page).await?)])),
            _ => self.rest.transaction_pages(account_ids, page).await,
        }
    }

    async fn event_pages(
        &self,
        account_ids: &[Uuid],
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<HashMap<Uuid, Vec<RecordedEvent>>> {
        self.rest.event_pages(account_ids, after_version, limit).await
    }
}

/// A row of `select_account!()`, in its column order.
fn account_model(row: &Row<'_>) -> rusqlite::Result<account::Model> {
    Ok(account::Model {
        id: uuid(row, 0)?,
        seq: row.get(1)?,
        number: row.get(2)?,
        owner_id: uuid(row, 3)?,
        currency: row.get(4)?,
        balance_cents: row.get(5)?,
        overdraft_limit_cents: row.get(6)?,
        status: row.get(7)?,
        version: row.get(8)?,
        opened_at: instant(row, 9)?,
        updated_at: instant(row, 10)?,
        last_position: row.get(11)?,
    })
}

/// A row of [`TRANSACTIONS`], in its column order.
fn transaction_model(row: &Row<'_>) -> rusqlite::Result<account_transaction::Model> {
    Ok(account_transaction::Model {
        id: uuid(row, 0)?,
        account_id: uuid(row, 1)?,
        version: row.get(2)?,
        kind: row.get(3)?,
        amount_cents: row.get(4)?,
        balance_after_cents: row.get(5)?,
        description: row.get(6)?,
        transfer_id: optional_uuid(row, 7)?,
        occurred_at: instant(row, 8)?,
        position: row.get(9)?,
    })
}
