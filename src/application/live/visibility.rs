use std::collections::HashSet;

use uuid::Uuid;

use super::routes::{Interest, opened_through};
use crate::application::ports::RecordedEvent;
use crate::application::{Actor, AppContext, AppError, access};

/// Which events an actor may see as they arrive: admins all; a customer the
/// streams of their own client, accounts and the transfers touching them,
/// including accounts opened and transfers requested after the subscription
/// started.
pub struct Visibility {
    actor: Actor,
    streams: HashSet<Uuid>,
}

impl Visibility {
    /// The view `actor` starts with, as the read models know it now (the
    /// one policy: `access::visible_streams`).
    pub async fn of(ctx: &AppContext, actor: Actor) -> Result<Self, AppError> {
        let streams = access::visible_streams(ctx, actor).await?.unwrap_or_default();
        Ok(Visibility { actor, streams: streams.into_iter().collect() })
    }

    /// The streams to route to a subscriber with this view: `None` for one
    /// who sees every stream.
    pub fn interest(&self) -> Option<Interest> {
        (!self.actor.is_privileged()).then(|| Interest::widening(self.streams.iter().copied()))
    }

    /// Takes `event` in, in log order: first what it opens to the actor (an
    /// account of theirs being opened, a transfer touching their accounts
    /// being requested), then whether they may see it.
    pub fn take_in(&mut self, event: &RecordedEvent) -> bool {
        if self.actor.is_privileged() {
            return true;
        }
        // A customer's streams hold their own client stream and no other,
        // so an account opened for another owner opens nothing here.
        if opened_through(event).iter().any(|named| self.streams.contains(named)) {
            self.streams.insert(event.stream_id);
        }
        self.streams.contains(&event.stream_id)
    }
}
