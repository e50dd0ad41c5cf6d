use std::collections::HashSet;

use uuid::Uuid;

use crate::application::ports::RecordedEvent;
use crate::application::{Actor, AppContext, AppError};
use crate::domain::DomainEvent;
use crate::domain::account::AccountEvent;
use crate::domain::transfer::TransferEvent;

/// Which events an actor may see as they arrive: admins all; a customer the
/// streams of their own client, accounts and the transfers touching them,
/// including accounts opened and transfers requested after the subscription
/// started.
pub struct Visibility {
    actor: Actor,
    streams: HashSet<Uuid>,
}

impl Visibility {
    pub async fn of(ctx: &AppContext, actor: Actor) -> Result<Self, AppError> {
        let mut streams = HashSet::new();
        match actor {
            Actor::Anonymous => return Err(AppError::Unauthenticated),
            Actor::Client { id, .. } if !actor.is_privileged() => {
                let accounts = ctx.accounts.ids_owned_by(id).await?;
                streams.extend(ctx.transfers.ids_involving(&accounts).await?);
                streams.extend(accounts);
                streams.insert(id);
            }
            _ => {}
        }
        Ok(Visibility { actor, streams })
    }

    pub fn admits(&mut self, event: &RecordedEvent) -> bool {
        if self.actor.is_privileged() {
            return true;
        }
        if event.event_type == AccountEvent::ACCOUNT_OPENED
            && let Ok(AccountEvent::AccountOpened(opened)) =
                AccountEvent::from_stored(&event.event_type, event.schema_version, &event.data)
            && self.actor.client_id() == Some(opened.owner_id)
        {
            self.streams.insert(opened.account_id);
        }
        if event.event_type == TransferEvent::TRANSFER_REQUESTED
            && let Ok(TransferEvent::TransferRequested(requested)) =
                TransferEvent::from_stored(&event.event_type, event.schema_version, &event.data)
            && (self.streams.contains(&requested.from_account_id) || self.streams.contains(&requested.to_account_id))
        {
            self.streams.insert(requested.transfer_id);
        }
        self.streams.contains(&event.stream_id)
    }
}
