use super::{Transfer, TransferCommand, TransferEvent, TransferStatus};
use crate::domain::DomainError;

pub fn decide(state: &Transfer, command: TransferCommand) -> Result<Vec<TransferEvent>, DomainError> {
    match (state, command) {
        (Transfer::Unrequested, TransferCommand::Request(request)) => {
            if request.from_account_id == request.to_account_id {
                return Err(DomainError::invalid("toAccountId", "must differ from fromAccountId"));
            }
            Ok(vec![TransferEvent::TransferRequested(request)])
        }
        (Transfer::Requested { .. }, TransferCommand::Request(_)) => Err(DomainError::TransferAlreadyRequested),
        (Transfer::Unrequested, _) => Err(DomainError::TransferNotFound),
        (Transfer::Requested { status: TransferStatus::Pending, .. }, TransferCommand::Complete) => {
            Ok(vec![TransferEvent::TransferCompleted {}])
        }
        (Transfer::Requested { status: TransferStatus::Pending, .. }, TransferCommand::Fail { reason }) => {
            Ok(vec![TransferEvent::TransferFailed { reason }])
        }
        (Transfer::Requested { .. }, _) => Err(DomainError::TransferFinished),
    }
}

pub fn evolve(state: Transfer, event: &TransferEvent) -> Transfer {
    match (state, event) {
        (_, TransferEvent::TransferRequested(request)) => {
            Transfer::Requested { request: request.clone(), status: TransferStatus::Pending }
        }
        (Transfer::Requested { request, .. }, TransferEvent::TransferCompleted {}) => {
            Transfer::Requested { request, status: TransferStatus::Completed }
        }
        (Transfer::Requested { request, .. }, TransferEvent::TransferFailed { .. }) => {
            Transfer::Requested { request, status: TransferStatus::Failed }
        }
        (state, _) => state,
    }
}
