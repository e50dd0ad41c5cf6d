//! `processed_commands`: idempotency keys with the positions they recorded
//! (or, for a command that changed nothing, the state it found).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processed_commands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub command_id: Uuid,
    pub fingerprint: String,
    pub positions: Json,
    pub processed_at: DateTimeUtc,
    /// A command that recorded no events: the stream it was decided on and
    /// the version it found there (both or neither).
    pub unchanged_stream_id: Option<Uuid>,
    pub unchanged_version: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
