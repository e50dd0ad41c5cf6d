//! [`ClientReadModel`] over the `clients` table.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

use super::rows::RowSource;
use crate::infrastructure::database::InlineReads;

use super::search::{contains_pattern, lower_like};
use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{ClientCredentials, ClientReadModel, ClientView};
use crate::domain::value::Role;
use crate::infrastructure::entities::client::{Column, Entity, Model};

#[derive(Clone)]
pub struct SeaOrmClientReadModel {
    /// Sign-in's lookup, lists and searches.
    db: DatabaseConnection,
    /// Clients by id.
    rows: RowSource,
}

impl SeaOrmClientReadModel {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmClientReadModel { rows: RowSource::pooled(db.clone()), db }
    }

    /// The same read model, reading clients by id inline.
    pub fn with_inline_reads(self, inline: Arc<InlineReads>) -> Self {
        SeaOrmClientReadModel { rows: self.rows.with_inline_reads(inline), ..self }
    }
}

#[async_trait]
impl ClientReadModel for SeaOrmClientReadModel {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<ClientView>> {
        let query = Entity::find_by_id(id).limit(1).into_query();
        let rows = self.rows.all::<Model>(&query).await.with_context(|| format!("cannot read client {id}"))?;
        rows.into_iter().next().map(to_view).transpose()
    }

    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<ClientView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = Entity::find().filter(Column::Id.is_in(ids.iter().copied())).into_query();
        let rows = self.rows.all::<Model>(&query).await.context("cannot read clients")?;
        rows.into_iter().map(to_view).collect()
    }

    async fn credentials(&self, login: &str) -> anyhow::Result<Option<ClientCredentials>> {
        // Usernames are stored lower-case, e-mails also in a lower-case column.
        let login = login.trim().to_lowercase();
        let row = Entity::find()
            .filter(
                Condition::any().add(Column::Username.eq(login.as_str())).add(Column::EmailLower.eq(login.as_str())),
            )
            .one(&self.db)
            .await
            .context("cannot read client credentials")?;
        row.map(|row| Ok(ClientCredentials { id: row.id, role: parse_role(&row)?, password_hash: row.password_hash }))
            .transpose()
    }

    async fn list(&self, search: Option<&str>, page: &PageRequest) -> anyhow::Result<Page<ClientView>> {
        let mut condition = Condition::all();
        if let Some(term) = search.map(str::trim).filter(|term| !term.is_empty()) {
            let pattern = contains_pattern(term);
            condition = condition.add(
                Condition::any()
                    .add(lower_like(Column::Username, pattern.clone()))
                    .add(lower_like(Column::EmailLower, pattern.clone()))
                    .add(lower_like(Column::FirstName, pattern.clone()))
                    .add(lower_like(Column::LastName, pattern)),
            );
        }
        let total = page
            .total(Entity::find().filter(condition.clone()).count(&self.db))
            .await
            .context("cannot count clients")?;
        let mut query = Entity::find().filter(condition);
        if let Some(after) = page.after {
            query = query.filter(Column::Seq.gt(after));
        }
        let rows =
            query.order_by_asc(Column::Seq).limit(page.first + 1).all(&self.db).await.context("cannot list clients")?;
        let items = rows.into_iter().map(|row| Ok((row.seq, to_view(row)?))).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.first, total))
    }
}

fn parse_role(row: &Model) -> anyhow::Result<Role> {
    Role::parse(&row.role).with_context(|| format!("client {} has an unknown role {}", row.id, row.role))
}

fn to_view(row: Model) -> anyhow::Result<ClientView> {
    Ok(ClientView {
        role: parse_role(&row)?,
        id: row.id,
        username: row.username,
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        is_company: row.is_company,
        created_at: row.created_at,
        version: row.version,
    })
}
