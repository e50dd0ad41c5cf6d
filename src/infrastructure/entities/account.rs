//! `accounts`: the accounts read model; money in minor units (cents).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Position of the `AccountOpened` event: the list order and cursor.
    #[sea_orm(unique)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub owner_id: Uuid,
    pub currency: String,
    pub balance_cents: i64,
    pub overdraft_limit_cents: i64,
    pub status: String,
    /// Version of the account stream this row reflects.
    pub version: i32,
    pub opened_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
