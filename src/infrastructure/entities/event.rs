//! `events`: the append-only log, the source of truth.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub position: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: String,
    pub version: i32,
    pub event_type: String,
    pub schema_version: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
