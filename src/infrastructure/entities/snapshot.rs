//! `snapshots`: the latest aggregate state per stream, a cache of the log.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub stream_id: Uuid,
    pub stream_type: String,
    pub version: i32,
    pub snapshot_version: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub state: Json,
    pub taken_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
