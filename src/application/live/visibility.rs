use std::collections::HashSet;

use uuid::Uuid;

use crate::application::ports::RecordedEvent;
use crate::application::{Actor, AppContext, AppError};
use crate::domain::DomainEvent;
use crate::domain::account::AccountEvent;

/// Which events an actor may see as they arrive: admins all; a customer the
/// streams of their own client and accounts, including accounts opened after
/// the subscription started.
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
                streams.insert(id);
                streams.extend(ctx.accounts.ids_owned_by(id).await?);
            }
            _ => {}
        }
        Ok(Visibility { actor, streams })
    }

    pub fn admits(&mut self, event: &RecordedEvent) -> bool {
        if self.actor.is_privileged() {
            return true;
        }
        if event.event_type == "AccountOpened"
            && let Ok(AccountEvent::AccountOpened(opened)) =
                AccountEvent::from_stored(&event.event_type, event.schema_version, &event.data)
            && self.actor.client_id() == Some(opened.owner_id)
        {
            self.streams.insert(opened.account_id);
        }
        self.streams.contains(&event.stream_id)
    }
}
