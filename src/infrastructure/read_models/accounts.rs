//! [`AccountReadModel`] over the `accounts` and `account_transactions` tables.

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{AccountListFilter, AccountReadModel, AccountView, TransactionKind, TransactionView};
use crate::domain::account::AccountStatus;
use crate::domain::value::from_cents;
use crate::infrastructure::entities::{account, account_transaction};

#[derive(Clone)]
pub struct SeaOrmAccountReadModel {
    db: DatabaseConnection,
}

impl SeaOrmAccountReadModel {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmAccountReadModel { db }
    }

    async fn find_one(&self, condition: Condition) -> anyhow::Result<Option<AccountView>> {
        let row = account::Entity::find().filter(condition).one(&self.db).await.context("cannot read an account")?;
        row.map(to_account_view).transpose()
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
        let rows = query
            .order_by_asc(account::Column::Seq)
            .limit(page.first + 1)
            .all(&self.db)
            .await
            .context("cannot list accounts")?;
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
        let of_account = account_transaction::Column::AccountId.eq(account_id);
        let total = page
            .total(account_transaction::Entity::find().filter(of_account.clone()).count(&self.db))
            .await
            .context("cannot count transactions")?;
        let mut query = account_transaction::Entity::find().filter(of_account);
        // Newest first: the next page holds the versions below the cursor.
        if let Some(after) = page.after {
            query = query.filter(account_transaction::Column::Version.lt(after));
        }
        let rows = query
            .order_by_desc(account_transaction::Column::Version)
            .limit(page.first + 1)
            .all(&self.db)
            .await
            .with_context(|| format!("cannot list the transactions of {account_id}"))?;
        let items = rows
            .into_iter()
            .map(|row| Ok((i64::from(row.version), to_transaction_view(row)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.first, total))
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
