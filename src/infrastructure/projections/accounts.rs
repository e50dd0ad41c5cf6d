//! Builds the `accounts` and `account_transactions` read models from account
//! streams.

use std::collections::HashMap;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, EntityTrait, Set, Value};

use super::update_rows::{Assign, RowUpdates};
use super::{Projection, Target, read};
use crate::application::ports::{RecordedEvent, TransactionKind};
use crate::domain::StreamType;
use crate::domain::account::{AccountEvent, AccountOpened, AccountStatus, MoneyMoved, TransferLeg};
use crate::domain::value::to_cents;
use crate::infrastructure::database::ROWS_PER_STATEMENT;
use crate::infrastructure::entities::{account, account_transaction};
use rust_decimal::Decimal;
use uuid::Uuid;

/// One row per account with its balance, plus one row per movement of money.
///
/// Idempotent through the row version: a change is applied only when the row
/// is exactly one version behind it, so a replayed event is never counted twice.
/// A run of events is written with a few multi-row statements, whatever its
/// length.
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

    async fn apply(&self, txn: &DatabaseTransaction, target: Target, events: &[RecordedEvent]) -> anyhow::Result<()> {
        let mut changes = Changes::default();
        for event in events.iter().filter(|e| e.stream_type == StreamType::Account) {
            changes
                .add(event)
                .with_context(|| format!("cannot project event {} on account {}", event.id, event.stream_id))?;
        }
        changes.write(txn, target).await
    }
}

/// What a run of events does to the tables: accounts to insert, one change
/// per existing account (however many of its events the run holds), and
/// the movements of money.
#[derive(Default)]
struct Changes {
    opened: Vec<account::ActiveModel>,
    updated: Vec<RowChange>,
    /// Index in `updated` of each account's change.
    update_of: HashMap<Uuid, usize>,
    movements: Vec<account_transaction::ActiveModel>,
}

/// An account row moved from `expected_version` to `version`, with the
/// columns that changed.
struct RowChange {
    id: Uuid,
    expected_version: i32,
    version: i32,
    updated_at: DateTime<Utc>,
    last_position: i64,
    balance_cents: Option<i64>,
    overdraft_limit_cents: Option<i64>,
    status: Option<&'static str>,
}

impl Changes {
    fn add(&mut self, event: &RecordedEvent) -> anyhow::Result<()> {
        let Some(parsed) = read::<AccountEvent>(event)? else {
            // A type this code does not know (say, a future transfer event)
            // only moves the row's version.
            self.change(event)?;
            return Ok(());
        };
        match parsed {
            AccountEvent::AccountOpened(opened) => self.opened.push(opened_row(event, &opened)),
            AccountEvent::MoneyDeposited(moved) => {
                self.move_money(event, Movement::plain(TransactionKind::Deposit, &moved))?
            }
            AccountEvent::MoneyWithdrawn(moved) => {
                self.move_money(event, Movement::plain(TransactionKind::Withdrawal, &moved))?
            }
            AccountEvent::TransferDebited(leg) => {
                self.move_money(event, Movement::leg(TransactionKind::TransferOut, &leg))?
            }
            AccountEvent::TransferCredited(leg) => {
                self.move_money(event, Movement::leg(TransactionKind::TransferIn, &leg))?
            }
            AccountEvent::TransferRefunded(leg) => {
                self.move_money(event, Movement::leg(TransactionKind::TransferRefund, &leg))?
            }
            AccountEvent::TransferSettled { .. } => {
                self.change(event)?;
            }
            AccountEvent::OverdraftLimitChanged(changed) => {
                self.change(event)?.overdraft_limit_cents = Some(to_cents(changed.limit.value()));
            }
            AccountEvent::AccountClosed {} => {
                self.change(event)?.status = Some(AccountStatus::Closed.as_str());
            }
        }
        Ok(())
    }

    /// The change of the event's account, moved on to the event.
    fn change(&mut self, event: &RecordedEvent) -> anyhow::Result<&mut RowChange> {
        let index = match self.update_of.get(&event.stream_id) {
            Some(&index) => index,
            None => {
                self.updated.push(RowChange {
                    id: event.stream_id,
                    expected_version: event.version - 1,
                    version: event.version - 1,
                    updated_at: event.recorded_at,
                    last_position: event.position,
                    balance_cents: None,
                    overdraft_limit_cents: None,
                    status: None,
                });
                self.update_of.insert(event.stream_id, self.updated.len() - 1);
                self.updated.len() - 1
            }
        };
        let change = &mut self.updated[index];
        anyhow::ensure!(
            event.version == change.version + 1,
            "version {} follows version {} of the account",
            event.version,
            change.version
        );
        change.version = event.version;
        change.updated_at = event.recorded_at;
        change.last_position = event.position;
        Ok(change)
    }

    fn move_money(&mut self, event: &RecordedEvent, moved: Movement) -> anyhow::Result<()> {
        let balance_after = to_cents(moved.balance_after);
        self.change(event)?.balance_cents = Some(balance_after);
        self.movements.push(account_transaction::ActiveModel {
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
        });
        Ok(())
    }

    /// New rows first (a run may open an account and go on with it), then
    /// the changes, then the movements. Each is idempotent: an account that
    /// exists is not inserted again, a change applies only to a row at the
    /// version just before it, a movement that is recorded already stays.
    async fn write(self, txn: &DatabaseTransaction, target: Target) -> anyhow::Result<()> {
        for chunk in self.opened.chunks(ROWS_PER_STATEMENT) {
            let insert = account::Entity::insert_many(chunk.to_vec())
                .on_conflict(OnConflict::column(account::Column::Id).do_nothing().to_owned());
            target.insert(insert).exec_without_returning(txn).await.context("cannot insert the accounts")?;
        }
        if !self.updated.is_empty() {
            let table = target.table("accounts");
            RowUpdates {
                table: &table,
                columns: &UPDATED_COLUMNS,
                rows: self.updated.iter().map(RowChange::values).collect(),
            }
            .apply(txn)
            .await?;
        }
        for chunk in self.movements.chunks(ROWS_PER_STATEMENT) {
            let insert = account_transaction::Entity::insert_many(chunk.to_vec())
                .on_conflict(OnConflict::column(account_transaction::Column::Id).do_nothing().to_owned());
            target.insert(insert).exec_without_returning(txn).await.context("cannot record the movements")?;
        }
        Ok(())
    }
}

const UPDATED_COLUMNS: [(&str, Assign); 6] = [
    ("version", Assign::Always),
    ("updated_at", Assign::Always),
    ("last_position", Assign::Always),
    ("balance_cents", Assign::UnlessNull),
    ("overdraft_limit_cents", Assign::UnlessNull),
    ("status", Assign::UnlessNull),
];

impl RowChange {
    fn values(&self) -> Vec<Value> {
        vec![
            self.id.into(),
            self.expected_version.into(),
            self.version.into(),
            self.updated_at.into(),
            self.last_position.into(),
            self.balance_cents.into(),
            self.overdraft_limit_cents.into(),
            self.status.map(str::to_owned).into(),
        ]
    }
}

fn opened_row(event: &RecordedEvent, opened: &AccountOpened) -> account::ActiveModel {
    account::ActiveModel {
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
    }
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
