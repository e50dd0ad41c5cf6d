//! Types only administrators can reach: the state of the projections.

use async_graphql::SimpleObject;

use super::scalars::Position;
use crate::application::queries;

/// One reader of the log: a projection (read model), the transfer process,
/// or a rebuild in progress.
#[derive(SimpleObject)]
pub struct ProjectionStatus {
    /// accounts, clients, transfers (projections) or transfer_process.
    name: String,
    /// The last position it has taken into account.
    position: Position,
    /// The head of the log when this was read.
    head: Position,
    /// head − position, capped at 2147483647. The transfer process records
    /// only the transfer requests it settled, so its lag counts the events
    /// since the last one.
    lag: i32,
    /// Updated inside every commit's own transaction, so always at the head
    /// (lag 0) by construction; no position is stored for it.
    inline: bool,
    /// True for a rebuild into shadow tables in progress (its position is
    /// how far it has got); the live projection of that name is listed too.
    rebuilding: bool,
}

impl From<queries::ProjectionStatus> for ProjectionStatus {
    fn from(status: queries::ProjectionStatus) -> Self {
        ProjectionStatus {
            name: status.checkpoint.name,
            position: Position(status.checkpoint.position),
            head: Position(status.head),
            lag: i32::try_from(status.lag).unwrap_or(i32::MAX),
            rebuilding: status.checkpoint.rebuilding,
            inline: status.checkpoint.inline,
        }
    }
}
