//! `processed_commands`: idempotency keys with the positions they recorded.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processed_commands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub command_id: Uuid,
    pub fingerprint: String,
    pub positions: Json,
    pub processed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
