//! [`AccountReadModel`] over the `accounts` and `account_transactions` tables.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sea_query::Order;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

use super::account_events::stream_pages;
use super::per_parent::{count_per_parent, first_per_parent};
use super::rows::RowSource;

use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{
    AccountListFilter, AccountReadModel, AccountView, RecordedEvent, TransactionKind, TransactionView,
};
use crate::domain::account::AccountStatus;
use crate::domain::value::from_cents;
use crate::infrastructure::database::InlineReads;
use crate::infrastructure::entities::{account, account_transaction};

#[derive(Clone)]
pub struct SeaOrmAccountReadModel {
    /// Counts, and the reads that stay on the pool.
    db: DatabaseConnection,
    /// Accounts, transactions and the accounts' own events.
    rows: RowSource,
}

impl SeaOrmAccountReadModel {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmAccountReadModel { rows: RowSource::pooled(db.clone()), db }
    }

    /// The same read model, reading accounts, transactions and events inline.
    pub fn with_inline_reads(self, inline: Arc<InlineReads>) -> Self {
        SeaOrmAccountReadModel { rows: self.rows.with_inline_reads(inline), ..self }
    }

    /// Every transaction of one account, counted (reads them all).
    async fn count_transactions(&self, account_id: Uuid) -> anyhow::Result<u64> {
        account_transaction::Entity::find()
            .filter(account_transaction::Column::AccountId.eq(account_id))
            .count(&self.db)
            .await
            .context("cannot count transactions")
    }

    /// Whether the counts of a level's pages come in the statement of their
    /// rows (see [`RowSource::counts_with_rows`]). Only on a level: ranking
    /// reads every row of each parent anyway, while one list pages by an
    /// index (`LIMIT`) and counts apart, by an index-only or sequential scan,
    /// which a window count beside it would turn into a read of every row
    /// through the index (README, Performance: the plans on 20,000 accounts).
    /// Not after a cursor: that statement does not see the rows before it.
    fn counts_ride_along(&self, page: &PageRequest) -> bool {
        page.count_total && page.after.is_none() && self.rows.counts_with_rows()
    }

    async fn find_one(&self, condition: Condition) -> anyhow::Result<Option<AccountView>> {
        let query = account::Entity::find().filter(condition).limit(1).into_query();
        let rows = self.rows.all::<account::Model>(&query).await.context("cannot read an account")?;
        rows.into_iter().next().map(to_account_view).transpose()
    }
}

#[async_trait]
impl AccountReadModel for SeaOrmAccountReadModel {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<AccountView>> {
        self.find_one(Condition::all().add(account::Column::Id.eq(id))).await
    }

    async fn by_number(&self, number: &str) -> anyhow::Result<Option<AccountView>> {
        self.find_one(Condition::all().add(account::Column::Number.eq(number))).await
    }

    async fn list(&self, filter: &AccountListFilter, page: &PageRequest) -> anyhow::Result<Page<AccountView>> {
        let mut condition = Condition::all();
        if let Some(owner_id) = filter.owner_id {
            condition = condition.add(account::Column::OwnerId.eq(owner_id));
        }
        if let Some(status) = filter.status {
            condition = condition.add(account::Column::Status.eq(status.as_str()));
        }
        let total = page
            .total(account::Entity::find().filter(condition.clone()).count(&self.db))
            .await
            .context("cannot count accounts")?;
        let mut query = account::Entity::find().filter(condition);
        if let Some(after) = page.after {
            query = query.filter(account::Column::Seq.gt(after));
        }
        let query = query.order_by_asc(account::Column::Seq).limit(page.first + 1).into_query();
        let rows = self.rows.all::<account::Model>(&query).await.context("cannot list accounts")?;
        let items =
            rows.into_iter().map(|row| Ok((row.seq, to_account_view(row)?))).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.first, total))
    }

    async fn ids_owned_by(&self, owner_id: Uuid) -> anyhow::Result<Vec<Uuid>> {
        account::Entity::find()
            .select_only()
            .column(account::Column::Id)
            .filter(account::Column::OwnerId.eq(owner_id))
            .order_by_asc(account::Column::Seq)
            .into_tuple()
            .all(&self.db)
            .await
            .with_context(|| format!("cannot list the accounts of {owner_id}"))
    }

    async fn transactions(&self, account_id: Uuid, page: &PageRequest) -> anyhow::Result<Page<TransactionView>> {
        let total = page.total(self.count_transactions(account_id)).await?;
        let mut query =
            account_transaction::Entity::find().filter(account_transaction::Column::AccountId.eq(account_id));
        // Newest first: the next page holds the versions below the cursor.
        if let Some(after) = page.after {
            query = query.filter(account_transaction::Column::Version.lt(after));
        }
        let query = query.order_by_desc(account_transaction::Column::Version).limit(page.first + 1).into_query();
        let rows = self
            .rows
            .all::<account_transaction::Model>(&query)
            .await
            .with_context(|| format!("cannot list the transactions of {account_id}"))?;
        let items = rows
            .into_iter()
            .map(|row| Ok((i64::from(row.version), to_transaction_view(row)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.first, total))
    }

    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<AccountView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = account::Entity::find().filter(account::Column::Id.is_in(ids.iter().copied())).into_query();
        let rows = self.rows.all::<account::Model>(&query).await.context("cannot read accounts")?;
        rows.into_iter().map(to_account_view).collect()
    }

    async fn pages_by_owner(
        &self,
        owner_ids: &[Uuid],
        page: &PageRequest,
    ) -> anyhow::Result<HashMap<Uuid, Page<AccountView>>> {
        if let [owner_id] = owner_ids {
            // One parent: the plain keyset query, cheaper than ranking.
            let filter = AccountListFilter { owner_id: Some(*owner_id), status: None };
            return Ok(HashMap::from([(*owner_id, self.list(&filter, page).await?)]));
        }
        if owner_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let of_owners = Condition::all().add(account::Column::OwnerId.is_in(owner_ids.iter().copied()));
        let counted = self.counts_ride_along(page);
        let mut totals = if page.count_total && !counted {
            count_per_parent::<account::Entity, _, Uuid>(&self.db, of_owners.clone(), account::Column::OwnerId)
                .await
                .context("cannot count the accounts of clients")?
        } else {
            HashMap::new()
        };
        let mut condition = of_owners;
        if let Some(after) = page.after {
            condition = condition.add(account::Column::Seq.gt(after));
        }
        let query = first_per_parent::<account::Entity>(
            condition,
            account::Column::OwnerId,
            (account::Column::Seq, Order::Asc),
            page.first + 1,
            counted,
        );
        let rows = self
            .rows
            .all_maybe_counted::<account::Model>(&query, counted)
            .await
            .context("cannot list the accounts of clients")?;
        let mut items: HashMap<Uuid, Vec<(i64, AccountView)>> = HashMap::new();
        for (row, count) in rows {
            if let Some(count) = count {
                totals.insert(row.owner_id, count);
            }
            items.entry(row.owner_id).or_default().push((row.seq, to_account_view(row)?));
        }
        Ok(owner_ids
            .iter()
            .map(|owner| {
                let rows = items.remove(owner).unwrap_or_default();
                (*owner, Page::from_rows(rows, page.first, totals.remove(owner).unwrap_or(0)))
            })
            .collect())
    }

    async fn transaction_pages(
        &self,
        account_ids: &[Uuid],
        page: &PageRequest,
    ) -> anyhow::Result<HashMap<Uuid, Page<TransactionView>>> {
        if let [account_id] = account_ids {
            // One parent: the plain keyset query, cheaper than ranking.
            return Ok(HashMap::from([(*account_id, self.transactions(*account_id, page).await?)]));
        }
        if account_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let of_accounts =
            Condition::all().add(account_transaction::Column::AccountId.is_in(account_ids.iter().copied()));
        let counted = self.counts_ride_along(page);
        let mut totals = if page.count_total && !counted {
            count_per_parent::<account_transaction::Entity, _, Uuid>(
                &self.db,
                of_accounts.clone(),
                account_transaction::Column::AccountId,
            )
            .await
            .context("cannot count the transactions of accounts")?
        } else {
            HashMap::new()
        };
        let mut condition = of_accounts;
        // Newest first: the next page holds the versions below the cursor.
        if let Some(after) = page.after {
            condition = condition.add(account_transaction::Column::Version.lt(after));
        }
        let query = first_per_parent::<account_transaction::Entity>(
            condition,
            account_transaction::Column::AccountId,
            (account_transaction::Column::Version, Order::Desc),
            page.first + 1,
            counted,
        );
        let rows = self
            .rows
            .all_maybe_counted::<account_transaction::Model>(&query, counted)
            .await
            .context("cannot list the transactions of accounts")?;
        let mut items: HashMap<Uuid, Vec<(i64, TransactionView)>> = HashMap::new();
        for (row, count) in rows {
            if let Some(count) = count {
                totals.insert(row.account_id, count);
            }
            items.entry(row.account_id).or_default().push((i64::from(row.version), to_transaction_view(row)?));
        }
        Ok(account_ids
            .iter()
            .map(|account| {
                let rows = items.remove(account).unwrap_or_default();
                (*account, Page::from_rows(rows, page.first, totals.remove(account).unwrap_or(0)))
            })
            .collect())
    }

    async fn event_pages(
        &self,
        account_ids: &[Uuid],
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<HashMap<Uuid, Vec<RecordedEvent>>> {
        stream_pages(&self.rows, account_ids, after_version, limit).await
    }
}

fn to_account_view(row: account::Model) -> anyhow::Result<AccountView> {
    let status = AccountStatus::parse(&row.status)
        .with_context(|| format!("account {} has an unknown status {}", row.id, row.status))?;
    Ok(AccountView {
        id: row.id,
        number: row.number,
        owner_id: row.owner_id,
        currency: row.currency,
        balance: from_cents(row.balance_cents),
        overdraft_limit: from_cents(row.overdraft_limit_cents),
        status,
        version: row.version,
        opened_at: row.opened_at,
        updated_at: row.updated_at,
        last_position: row.last_position,
    })
}

fn to_transaction_view(row: account_transaction::Model) -> anyhow::Result<TransactionView> {
    let kind = TransactionKind::parse(&row.kind)
        .with_context(|| format!("transaction {} has an unknown kind {}", row.id, row.kind))?;
    Ok(TransactionView {
        id: row.id,
        account_id: row.account_id,
        kind,
        amount: from_cents(row.amount_cents),
        balance_after: from_cents(row.balance_after_cents),
        description: row.description,
        transfer_id: row.transfer_id,
        occurred_at: row.occurred_at,
        position: row.position,
        version: row.version,
    })
}
