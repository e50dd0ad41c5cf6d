//! A transfer touches three streams. The request debits the source and
//! records the transfer in one commit, so INSUFFICIENT_FUNDS refuses it with
//! nothing written. The process manager then settles it, again in one commit:
//! credit the destination, settle the source and complete the transfer — or,
//! if the destination refuses, refund the source and fail the transfer. Every
//! commit appends at the versions it loaded, so a step that ran already (say,
//! before a crash) loses the race and finds the transfer finished: no step is
//! ever applied twice.

use uuid::Uuid;

use super::execute::{Handled, append};
use super::load::{Loaded, load};
use super::retry::{Attempt, committed, retrying};
use super::services::HandlerServices;
use crate::application::commands::{CommandMeta, RequestTransfer};
use crate::application::ports::{Commit, StreamBound};
use crate::application::{Actor, AppError, access};
use crate::domain::Aggregate;
use crate::domain::account::{Account, AccountCommand, ensure_receives};
use crate::domain::transfer::{Transfer, TransferCommand, TransferRequested, TransferStatus};

pub async fn request(
    services: &HandlerServices,
    command: RequestTransfer,
    meta: &CommandMeta,
) -> Result<Handled, AppError> {
    access::signed_in(meta.actor)?;
    let transfer_id = Uuid::now_v7();
    let store = services.store.as_ref();
    let _serialized = services.locks.lock(command.from_account_id).await;
    let command = &command;
    let events = retrying(services.max_attempts, busy, |_| async move {
        let source = load::<Account>(store, &services.snapshots, command.from_account_id, StreamBound::All).await?;
        let from = access::own_account(meta.actor, &source.state)?;
        let destination = load::<Account>(store, &services.snapshots, command.to_account_id, StreamBound::All).await?;
        let to = destination.state.opened().ok_or(AppError::NotFound("account"))?;
        ensure_receives(to, &from.currency)?;
        let requested = TransferRequested {
            transfer_id,
            from_account_id: command.from_account_id,
            to_account_id: command.to_account_id,
            amount: command.amount,
            currency: from.currency.clone(),
            description: command.description.clone(),
        };
        let recorded = Transfer::default().decide(TransferCommand::Request(requested))?;
        let debited = source.state.decide(AccountCommand::DebitForTransfer {
            transfer_id,
            to_account_id: command.to_account_id,
            amount: command.amount,
            description: command.description.clone(),
        })?;
        let commit = Commit {
            appends: vec![
                append::<Transfer>(transfer_id, 0, &recorded, meta),
                append::<Account>(command.from_account_id, source.version, &debited, meta),
            ],
            claims: Vec::new(),
            idempotency: meta.idempotency.clone(),
        };
        committed(store.commit(commit).await)
    })
    .await?;
    services.committed("transfer-requested");
    Ok(Handled::recorded(events))
}

/// Settles a pending transfer; does nothing for a finished or unknown one.
pub async fn process(services: &HandlerServices, transfer_id: Uuid, meta: &CommandMeta) -> Result<Handled, AppError> {
    if meta.actor != Actor::System {
        return Err(AppError::forbidden("only the server settles transfers"));
    }
    let store = services.store.as_ref();
    let settled = retrying(services.max_attempts, busy, |_| async move {
        let transfer = load::<Transfer>(store, &services.snapshots, transfer_id, StreamBound::All).await?;
        let Transfer::Requested { request, status: TransferStatus::Pending } = &transfer.state else {
            return Ok(Attempt::Done((Handled::unchanged(transfer_id, transfer.version), None)));
        };
        let source = load::<Account>(store, &services.snapshots, request.from_account_id, StreamBound::All).await?;
        let destination = load::<Account>(store, &services.snapshots, request.to_account_id, StreamBound::All).await?;
        let (commit, step) = settle(&transfer, request, &source, &destination, meta)?;
        Ok(committed(store.commit(commit).await)?.map(|events| (Handled::recorded(events), Some(step))))
    })
    .await?;
    let (handled, step) = settled;
    if let Some(step) = step {
        services.committed(step);
    }
    Ok(handled)
}

/// Credit, settle and complete; or, when the destination refuses, refund and fail.
fn settle(
    transfer: &Loaded<Transfer>,
    request: &TransferRequested,
    source: &Loaded<Account>,
    destination: &Loaded<Account>,
    meta: &CommandMeta,
) -> Result<(Commit, &'static str), AppError> {
    let credit = destination.state.decide(AccountCommand::CreditForTransfer {
        transfer_id: request.transfer_id,
        from_account_id: request.from_account_id,
        amount: request.amount,
        currency: request.currency.clone(),
        description: request.description.clone(),
    });
    let appends = match credit {
        Ok(credited) => {
            let settled = source.state.decide(AccountCommand::SettleTransfer { transfer_id: request.transfer_id })?;
            let completed = transfer.state.decide(TransferCommand::Complete)?;
            let appends = vec![
                append::<Account>(request.to_account_id, destination.version, &credited, meta),
                append::<Account>(request.from_account_id, source.version, &settled, meta),
                append::<Transfer>(request.transfer_id, transfer.version, &completed, meta),
            ];
            return Ok((Commit { appends, claims: Vec::new(), idempotency: None }, "transfer-completed"));
        }
        Err(refusal) => {
            let refunded = source.state.decide(AccountCommand::RefundTransfer {
                transfer_id: request.transfer_id,
                to_account_id: request.to_account_id,
                amount: request.amount,
                description: request.description.clone(),
            })?;
            let reason = refusal.reason_code().to_string();
            let failed = transfer.state.decide(TransferCommand::Fail { reason })?;
            vec![
                append::<Account>(request.from_account_id, source.version, &refunded, meta),
                append::<Transfer>(request.transfer_id, transfer.version, &failed, meta),
            ]
        }
    };
    Ok((Commit { appends, claims: Vec::new(), idempotency: None }, "transfer-failed"))
}

fn busy() -> AppError {
    AppError::Conflict("the accounts are too busy right now; please retry".into())
}
