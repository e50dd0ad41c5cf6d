//! Builds the `accounts` and `account_transactions` read models from account
//! streams.

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, SimpleExpr};
use sea_orm::{DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::{Projection, Target};
use crate::application::ports::{RecordedEvent, TransactionKind};
use crate::domain::account::{AccountEvent, AccountOpened, AccountStatus, MoneyMoved, TransferLeg};
use crate::domain::value::to_cents;
use crate::domain::{DomainEvent, StreamType};
use crate::infrastructure::entities::{account, account_transaction};
use rust_decimal::Decimal;
use uuid::Uuid;

/// Event types this projection understands; any other event on an account
/// stream (say, a future transfer event) only moves the row's version.
const KNOWN: [&str; 8] = [
    "AccountOpened",
    "MoneyDeposited",
    "MoneyWithdrawn",
    "OverdraftLimitChanged",
    "AccountClosed",
    "TransferDebited",
    "TransferCredited",
    "TransferRefunded",
];

/// One row per account with its balance, plus one row per movement of money.
///
/// Idempotent through the row version: an event is applied only when the row
/// is exactly one version behind it, so a replayed event is never counted twice.
#[derive(Debug, Default, Clone, Copy)]
pub struct AccountsProjection;

impl AccountsProjection {
    pub const NAME: &'static str = "accounts";
}

#[async_trait]
impl Projection for AccountsProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["accounts", "account_transactions"]
    }

    async fn apply(&self, txn: &DatabaseTransaction, target: Target, event: &RecordedEvent) -> anyhow::Result<()> {
        if event.stream_type != StreamType::Account {
            return Ok(());
        }
        project(txn, target, event)
            .await
            .with_context(|| format!("cannot project event {} on account {}", event.id, event.stream_id))
    }
}

async fn project(txn: &DatabaseTransaction, target: Target, event: &RecordedEvent) -> anyhow::Result<()> {
    if !KNOWN.contains(&event.event_type.as_str()) {
        bump(txn, target, event, Vec::new()).await?;
        return Ok(());
    }
    let parsed = AccountEvent::from_stored(&event.event_type, event.schema_version, &event.data)
        .with_context(|| format!("the data of {} is not valid", event.event_type))?;
    match parsed {
        AccountEvent::AccountOpened(opened) => open(txn, target, event, &opened).await,
        AccountEvent::MoneyDeposited(moved) => {
            move_money(txn, target, event, Movement::plain(TransactionKind::Deposit, &moved)).await
        }
        AccountEvent::MoneyWithdrawn(moved) => {
            move_money(txn, target, event, Movement::plain(TransactionKind::Withdrawal, &moved)).await
        }
        AccountEvent::TransferDebited(leg) => {
            move_money(txn, target, event, Movement::leg(TransactionKind::TransferOut, &leg)).await
        }
        AccountEvent::TransferCredited(leg) => {
            move_money(txn, target, event, Movement::leg(TransactionKind::TransferIn, &leg)).await
        }
        AccountEvent::TransferRefunded(leg) => {
            move_money(txn, target, event, Movement::leg(TransactionKind::TransferRefund, &leg)).await
        }
        AccountEvent::TransferSettled { .. } => bump(txn, target, event, Vec::new()).await.map(drop),
        AccountEvent::OverdraftLimitChanged(changed) => {
            let limit = to_cents(changed.limit.value());
            let set = vec![(account::Column::OverdraftLimitCents, Expr::value(limit))];
            bump(txn, target, event, set).await.map(drop)
        }
        AccountEvent::AccountClosed {} => {
            let status = AccountStatus::Closed.as_str();
            let set = vec![(account::Column::Status, Expr::value(status))];
            bump(txn, target, event, set).await.map(drop)
        }
    }
}

async fn open(
    txn: &DatabaseTransaction,
    target: Target,
    event: &RecordedEvent,
    opened: &AccountOpened,
) -> anyhow::Result<()> {
    let row = account::ActiveModel {
        id: Set(event.stream_id),
        seq: Set(event.position),
        number: Set(opened.number.as_str().to_owned()),
        owner_id: Set(opened.owner_id),
        currency: Set(opened.currency.as_str().to_owned()),
        balance_cents: Set(0),
        overdraft_limit_cents: Set(to_cents(opened.overdraft_limit.value())),
        status: Set(AccountStatus::Open.as_str().to_owned()),
        version: Set(event.version),
        opened_at: Set(event.recorded_at),
        updated_at: Set(event.recorded_at),
        last_position: Set(event.position),
    };
    let insert =
        account::Entity::insert(row).on_conflict(OnConflict::column(account::Column::Id).do_nothing().to_owned());
    target.insert(insert).exec_without_returning(txn).await?;
    Ok(())
}

/// A movement of money, whichever event recorded it.
struct Movement {
    kind: TransactionKind,
    amount: Decimal,
    balance_after: Decimal,
    description: Option<String>,
    transfer_id: Option<Uuid>,
}

impl Movement {
    fn plain(kind: TransactionKind, moved: &MoneyMoved) -> Self {
        Movement {
            kind,
            amount: moved.amount.value(),
            balance_after: moved.balance_after,
            description: moved.description.as_ref().map(|d| d.as_str().to_owned()),
            transfer_id: None,
        }
    }

    fn leg(kind: TransactionKind, leg: &TransferLeg) -> Self {
        Movement {
            kind,
            amount: leg.amount.value(),
            balance_after: leg.balance_after,
            description: leg.description.as_ref().map(|d| d.as_str().to_owned()),
            transfer_id: Some(leg.transfer_id),
        }
    }
}

async fn move_money(
    txn: &DatabaseTransaction,
    target: Target,
    event: &RecordedEvent,
    moved: Movement,
) -> anyhow::Result<()> {
    let balance_after = to_cents(moved.balance_after);
    let set = vec![(account::Column::BalanceCents, Expr::value(balance_after))];
    if !bump(txn, target, event, set).await? {
        return Ok(());
    }
    let row = account_transaction::ActiveModel {
        id: Set(event.id),
        account_id: Set(event.stream_id),
        version: Set(event.version),
        kind: Set(moved.kind.as_str().to_owned()),
        amount_cents: Set(to_cents(moved.amount)),
        balance_after_cents: Set(balance_after),
        description: Set(moved.description),
        transfer_id: Set(moved.transfer_id),
        occurred_at: Set(event.recorded_at),
        position: Set(event.position),
    };
    let insert = account_transaction::Entity::insert(row)
        .on_conflict(OnConflict::column(account_transaction::Column::Id).do_nothing().to_owned());
    target.insert(insert).exec_without_returning(txn).await?;
    Ok(())
}

/// Moves the row to the event's version (plus the given column changes) if it
/// is exactly one version behind; tells whether it did.
async fn bump(
    txn: &DatabaseTransaction,
    target: Target,
    event: &RecordedEvent,
    set: Vec<(account::Column, SimpleExpr)>,
) -> anyhow::Result<bool> {
    let mut update = account::Entity::update_many()
        .col_expr(account::Column::Version, Expr::value(event.version))
        .col_expr(account::Column::UpdatedAt, Expr::value(event.recorded_at))
        .col_expr(account::Column::LastPosition, Expr::value(event.position));
    for (column, value) in set {
        update = update.col_expr(column, value);
    }
    let result = target
        .update(update)
        .filter(Expr::col(account::Column::Id).eq(event.stream_id))
        .filter(Expr::col(account::Column::Version).eq(event.version - 1))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}
