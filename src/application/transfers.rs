//! The `transfer` use case: request, then wait briefly for the outcome.

use std::time::Duration;

use futures::StreamExt;

use super::commands::{Command, CommandMeta, RequestTransfer};
use super::live::Visibility;
use super::ports::{RecordedEvent, TransferView};
use super::{AppContext, AppError};
use crate::domain::StreamType;

/// How long the request waits for the process manager to settle the transfer
/// before answering with it still PENDING (it settles all the same).
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// The transfer, and the events of this request the caller may see, in order.
pub async fn request_transfer(
    ctx: &AppContext,
    command: RequestTransfer,
    meta: CommandMeta,
) -> Result<(TransferView, Vec<RecordedEvent>), AppError> {
    let requested = ctx.bus.dispatch(Command::RequestTransfer(command), meta.clone()).await?;
    let (Some(transfer_id), Some(last)) = (
        requested.iter().find(|e| e.stream_type == StreamType::Transfer).map(|e| e.stream_id),
        requested.last().map(|e| e.position),
    ) else {
        return Err(anyhow::anyhow!("a transfer request recorded no transfer").into());
    };
    let mut visibility = Visibility::of(ctx, meta.actor).await?;
    let mut events: Vec<RecordedEvent> = requested.into_iter().filter(|e| visibility.admits(e)).collect();
    let mut later = Box::pin(ctx.feed.subscribe(Some(last)).await?.into_stream());
    let settled = async {
        while let Some(Ok(event)) = later.next().await {
            let ours = event.metadata.correlation_id == meta.correlation_id;
            let done = event.stream_id == transfer_id && event.event_type != "TransferRequested";
            if ours && visibility.admits(&event) {
                events.push((*event).clone());
            }
            if done {
                return;
            }
        }
    };
    // Not settled in time: the answer says PENDING, the process carries on.
    let _ = tokio::time::timeout(SETTLE_WAIT, settled).await;
    let transfer = ctx
        .transfers
        .get(transfer_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("transfer {transfer_id} is missing from the read model"))?;
    Ok((transfer, events))
}
