//! `clients`: the clients read model, one row per registered client.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Position of the `ClientRegistered` event: the list order and cursor.
    #[sea_orm(unique)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub email: String,
    #[sea_orm(unique)]
    pub email_lower: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub is_company: bool,
    pub role: String,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
