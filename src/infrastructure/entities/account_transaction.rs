//! `account_transactions`: one row per movement of money on an account.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_transactions")]
pub struct Model {
    /// The id of the event that recorded the movement.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub version: i32,
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub description: Option<String>,
    pub transfer_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
