//! Builds the `clients` read model from client streams.

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, EntityTrait, Set};

use super::{Projection, Target, read};
use crate::application::ports::RecordedEvent;
use crate::domain::StreamType;
use crate::domain::client::ClientEvent;
use crate::infrastructure::database::ROWS_PER_STATEMENT;
use crate::infrastructure::entities::client::{ActiveModel, Column, Entity};

/// One row per registered client; `seq` is the registration's log position.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClientsProjection;

impl ClientsProjection {
    pub const NAME: &'static str = "clients";
}

#[async_trait]
impl Projection for ClientsProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["clients"]
    }

    async fn apply(&self, txn: &DatabaseTransaction, target: Target, events: &[RecordedEvent]) -> anyhow::Result<()> {
        let mut rows = Vec::new();
        for event in events.iter().filter(|e| e.stream_type == StreamType::Client) {
            if let Some(ClientEvent::ClientRegistered(registration)) = read::<ClientEvent>(event)? {
                rows.push(ActiveModel {
                    id: Set(event.stream_id),
                    seq: Set(event.position),
                    username: Set(registration.username.as_str().to_owned()),
                    email: Set(registration.email.as_str().to_owned()),
                    email_lower: Set(registration.email.normalized()),
                    password_hash: Set(registration.password_hash),
                    first_name: Set(registration.first_name.as_str().to_owned()),
                    last_name: Set(registration.last_name.as_str().to_owned()),
                    is_company: Set(registration.is_company),
                    role: Set(registration.role.as_str().to_owned()),
                    created_at: Set(event.recorded_at),
                    version: Set(event.version),
                });
            }
        }
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            // Replaying a registration that is already projected is a no-op.
            let insert =
                Entity::insert_many(chunk.to_vec()).on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned());
            target.insert(insert).exec_without_returning(txn).await.context("cannot project the clients")?;
        }
        Ok(())
    }
}
