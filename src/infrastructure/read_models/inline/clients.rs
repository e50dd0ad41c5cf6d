//! [`ClientReadModel`] on SQLite: one client read inline, the rest by
//! [`SeaOrmClientReadModel`].

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rusqlite::Row;
use uuid::Uuid;

use super::rows::{instant, uuid};
use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{ClientCredentials, ClientReadModel, ClientView};
use crate::infrastructure::database::InlineReads;
use crate::infrastructure::entities::client;
use crate::infrastructure::read_models::SeaOrmClientReadModel;
use crate::infrastructure::read_models::clients::to_view;

/// The columns [`client_model`] reads, in its order.
const BY_ID: &str = "SELECT id, seq, username, email, email_lower, password_hash, first_name, last_name, is_company, \
    role, created_at, version FROM clients WHERE id = ?1";

pub struct InlineClientReadModel {
    inline: Arc<InlineReads>,
    rest: SeaOrmClientReadModel,
}

impl InlineClientReadModel {
    pub fn new(inline: Arc<InlineReads>, rest: SeaOrmClientReadModel) -> Self {
        InlineClientReadModel { inline, rest }
    }
}

#[async_trait]
impl ClientReadModel for InlineClientReadModel {
    async fn get(&self, id: Uuid) -> anyhow::Result<Option<ClientView>> {
        let row = self
            .inline
            .read(|reader| reader.row(BY_ID, [id.as_bytes().as_slice()], client_model))
            .with_context(|| format!("cannot read client {id}"))?;
        row.map(to_view).transpose()
    }

    async fn get_many(&self, ids: &[Uuid]) -> anyhow::Result<Vec<ClientView>> {
        match ids {
            [id] => Ok(self.get(*id).await?.into_iter().collect()),
            _ => self.rest.get_many(ids).await,
        }
    }

    async fn credentials(&self, login: &str) -> anyhow::Result<Option<ClientCredentials>> {
        self.rest.credentials(login).await
    }

    async fn list(&self, search: Option<&str>, page: &PageRequest) -> anyhow::Result<Page<ClientView>> {
        self.rest.list(search, page).await
    }
}

/// A row of [`BY_ID`], in its column order.
fn client_model(row: &Row<'_>) -> rusqlite::Result<client::Model> {
    Ok(client::Model {
        id: uuid(row, 0)?,
        seq: row.get(1)?,
        username: row.get(2)?,
        email: row.get(3)?,
        email_lower: row.get(4)?,
        password_hash: row.get(5)?,
        first_name: row.get(6)?,
        last_name: row.get(7)?,
        is_company: row.get(8)?,
        role: row.get(9)?,
        created_at: instant(row, 10)?,
        version: row.get(11)?,
    })
}
