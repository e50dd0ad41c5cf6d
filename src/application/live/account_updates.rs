use std::sync::Arc;

use futures::{Stream, StreamExt};
use uuid::Uuid;

use super::{Interest, SubscriptionEnded};
use crate::application::ports::{AccountView, RecordedEvent, StreamBound};
use crate::application::queries::Queries;
use crate::application::{Actor, AppContext, AppError};
use crate::domain::DomainEvent;
use crate::domain::account::{Account, AccountEvent, evolve};

/// Why an account update stream stopped.
#[derive(Debug)]
pub enum UpdateError {
    Ended(SubscriptionEnded),
    Failed(AppError),
}

/// The account's state after each committed change to it, exactly one per
/// change. Its state is evolved from its own events by the aggregate's
/// `evolve` (so every intermediate state is delivered, however fast changes
/// come), on top of the fields that never change, read once.
pub async fn account_updates(
    ctx: Arc<AppContext>,
    actor: Actor,
    account_id: Uuid,
) -> Result<impl Stream<Item = Result<AccountView, UpdateError>> + Send + 'static, AppError> {
    let turn = ctx.feed.start_turn().await;
    let opened = Queries::new(&ctx, actor).account(account_id).await?.ok_or(AppError::NotFound("account"))?;
    let head = ctx.store.head().await?;
    let feed = ctx.feed.subscribe_to(Some(head), Interest::streams([account_id])).await?.into_stream();
    // The state as of `head`; the feed delivers everything after it.
    let history = ctx.store.read_stream(account_id, StreamBound::All).await?;
    let mut state = Account::default();
    let mut version = 0;
    for event in history.iter().filter(|e| e.position <= head) {
        state = evolve(state, &parse(event)?);
        version = event.version;
    }
    drop(turn);
    Ok(feed.filter_map(move |item| {
        let update = match item {
            Err(ended) => Some(Err(UpdateError::Ended(ended))),
            Ok(event) if event.stream_id != account_id || event.version <= version => None,
            Ok(event) => match parse(&event) {
                Err(error) => Some(Err(UpdateError::Failed(error))),
                Ok(change) => {
                    state = evolve(std::mem::take(&mut state), &change);
                    version = event.version;
                    view(&opened, &state, &event).map(Ok)
                }
            },
        };
        futures::future::ready(update)
    }))
}

fn parse(event: &RecordedEvent) -> Result<AccountEvent, AppError> {
    AccountEvent::from_stored(&event.event_type, event.schema_version, &event.data).map_err(|e| {
        AppError::Unexpected(anyhow::anyhow!("event {} ({}) does not deserialize: {e}", event.id, event.event_type))
    })
}

/// The read-model view as of `event`.
fn view(opened: &AccountView, state: &Account, event: &RecordedEvent) -> Option<AccountView> {
    let account = state.opened()?;
    Some(AccountView {
        balance: account.balance,
        overdraft_limit: account.overdraft_limit.value(),
        status: account.status,
        version: event.version,
        updated_at: event.recorded_at,
        last_position: event.position,
        ..opened.clone()
    })
}
