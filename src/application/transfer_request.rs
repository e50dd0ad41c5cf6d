//! The `transfer` use case: request, then wait briefly for the outcome.

use std::time::Duration;

use futures::StreamExt;
use uuid::Uuid;

use super::commands::{Command, CommandMeta, RequestTransfer};
use super::live::{Interest, Visibility, opened_through};
use super::ports::{EventFilter, RecordedEvent, StreamBound, TransferView};
use super::{AppContext, AppError};
use crate::domain::StreamType;
use crate::domain::transfer::TransferEvent;

/// How long the request waits for the process manager to settle the transfer
/// before answering with it still PENDING (it settles all the same).
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// The answer to a transfer request.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferOutcome {
    /// The transfer as it stands when the answer is made: settled, or still
    /// PENDING after [`SETTLE_WAIT`].
    pub transfer: TransferView,
    /// The events of this request the caller may see, in order: its request,
    /// and its settlement once settled.
    pub events: Vec<RecordedEvent>,
}

/// Requests the transfer and waits briefly for its settlement. A repeat of
/// the request (same `commandId`) answers the same, read from the log when
/// the transfer has settled meanwhile.
pub async fn request_transfer(
    ctx: &AppContext,
    command: RequestTransfer,
    meta: CommandMeta,
) -> Result<TransferOutcome, AppError> {
    let outcome = ctx.bus.run(Command::RequestTransfer(command), meta.clone()).await?;
    let requested = outcome.events;
    let (Some(transfer_id), Some(first), Some(last)) = (
        requested.iter().find(|e| e.stream_type == StreamType::Transfer).map(|e| e.stream_id),
        requested.first(),
        requested.last().map(|e| e.position),
    ) else {
        return Err(anyhow::anyhow!("a transfer request recorded no transfer").into());
    };
    // The first run's: a repeat comes with a correlation id of its own.
    let correlation_id = first.metadata.correlation_id;
    // Settling touches only the transfer and the two accounts it names.
    let mut settled_streams = vec![transfer_id];
    requested.iter().filter(|e| e.stream_id == transfer_id).for_each(|e| settled_streams.extend(opened_through(e)));
    let settled_streams = Interest::streams(settled_streams);
    let mut visibility = Visibility::of(ctx, meta.actor).await?;
    let settled = if outcome.repeat { settlement(ctx, transfer_id, last, correlation_id).await? } else { None };
    let mut events: Vec<RecordedEvent> = requested.into_iter().filter(|e| visibility.take_in(e)).collect();
    match settled {
        Some(settled) => events.extend(settled.into_iter().filter(|e| visibility.take_in(e))),
        None => {
            let waiting = Waiting { transfer_id, after: last, streams: settled_streams, correlation_id };
            wait_for_settlement(ctx, waiting, &mut visibility, &mut events).await?
        }
    }
    let transfer = ctx
        .transfers
        .get(transfer_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("transfer {transfer_id} is missing from the read model"))?;
    Ok(TransferOutcome { transfer, events })
}

/// A requested transfer whose settlement the answer waits for.
struct Waiting {
    transfer_id: Uuid,
    /// The request's last position.
    after: i64,
    /// The streams settling it touches.
    streams: Interest,
    correlation_id: Uuid,
}

/// Follows the log after the request for up to [`SETTLE_WAIT`], collecting
/// the events of this request until the transfer's outcome. Not settled in
/// time: the answer says PENDING, the process carries on.
async fn wait_for_settlement(
    ctx: &AppContext,
    waiting: Waiting,
    visibility: &mut Visibility,
    events: &mut Vec<RecordedEvent>,
) -> Result<(), AppError> {
    let Waiting { transfer_id, after, streams, correlation_id } = waiting;
    let mut later = Box::pin(ctx.feed.subscribe_to(Some(after), streams).await?.into_stream());
    let settled = async {
        while let Some(Ok(event)) = later.next().await {
            let ours = event.metadata.correlation_id == correlation_id;
            if visibility.take_in(&event) && ours {
                events.push((*event).clone());
            }
            if is_outcome(&event, transfer_id) {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(SETTLE_WAIT, settled).await;
    Ok(())
}

/// The events that settled the transfer (those of its request's correlation,
/// from the request up to the transfer's outcome), if it has settled; the
/// same as [`wait_for_settlement`] collects, without waiting.
async fn settlement(
    ctx: &AppContext,
    transfer_id: Uuid,
    after: i64,
    correlation_id: Uuid,
) -> Result<Option<Vec<RecordedEvent>>, AppError> {
    let outcome = ctx.store.read_stream_after(transfer_id, 1, StreamBound::All).await?;
    let (Some(outcome), Some(transfer)) = (outcome.first(), ctx.transfers.get(transfer_id).await?) else {
        return Ok(None);
    };
    // Settling touches only the transfer and its two accounts.
    let streams = vec![transfer.from_account_id, transfer.to_account_id, transfer_id];
    let filter = EventFilter { stream_ids: Some(streams), ..EventFilter::default() };
    let mut found = Vec::new();
    let mut after = after;
    while after < outcome.position {
        let page = ctx.store.read_all(after, SETTLEMENT_PAGE, &filter).await?;
        let Some(next) = page.last().map(|e| e.position) else {
            return Err(anyhow::anyhow!("the log does not reach the outcome of transfer {transfer_id}").into());
        };
        let ours = page.into_iter().filter(|e| e.position <= outcome.position);
        found.extend(ours.filter(|e| e.metadata.correlation_id == correlation_id));
        after = next;
    }
    Ok(Some(found))
}

/// Events read per query while looking for a settlement.
const SETTLEMENT_PAGE: u64 = 100;

fn is_outcome(event: &RecordedEvent, transfer_id: Uuid) -> bool {
    event.stream_id == transfer_id && event.event_type != TransferEvent::TRANSFER_REQUESTED
}
