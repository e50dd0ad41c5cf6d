//! Which physical tables a projection writes: the live read models, or the
//! shadow copies a rebuild fills before it swaps them in.

use sea_orm::sea_query::Alias;
use sea_orm::{ActiveModelTrait, EntityName, InsertMany, QueryTrait};

/// Suffix of a shadow table and of a rebuild's checkpoint row.
pub const SHADOW_SUFFIX: &str = "__rebuild";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The canonical tables the service reads (every commit writes these).
    Live,
    /// `<table>__rebuild`, written only by a rebuild.
    Shadow,
}

impl Target {
    /// The physical name of the canonical table `table`.
    pub fn table(self, table: &str) -> String {
        match self {
            Target::Live => table.to_owned(),
            Target::Shadow => format!("{table}{SHADOW_SUFFIX}"),
        }
    }

    /// The checkpoint row that says how far these tables are built.
    pub fn checkpoint(self, projection: &str) -> String {
        self.table(projection)
    }

    /// Points an insert at this target's table of its entity.
    pub fn insert<A: ActiveModelTrait>(self, mut insert: InsertMany<A>) -> InsertMany<A> {
        if self == Target::Shadow {
            let table = self.table(A::Entity::default().table_name());
            QueryTrait::query(&mut insert).into_table(Alias::new(table));
        }
        insert
    }
}
