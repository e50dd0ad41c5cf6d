//! One subscriber of a shared evaluation: its own bounded backlog behind its
//! connection's queue, and the task that feeds the one into the other.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, mpsc};

use super::super::frame::Frame;
use super::super::{Protocol, outgoing};

/// Results a subscriber may have waiting beyond its connection's queue;
/// one more ends it with SUBSCRIPTION_LAGGED. Empty, the backlog costs
/// nothing; full, a few hundred KiB of reference counts, never copies.
pub const MAX_BACKLOG: usize = 4096;

/// How a shared evaluation ended for one subscriber.
#[derive(Debug, Clone)]
pub enum Ending {
    /// The stream is over: `complete`.
    Completed,
    /// Refused before any result (validation, authorization): an `error`
    /// message with these errors, serialized once.
    Refused(Arc<str>),
    /// This subscriber did not keep up.
    Lagged { resume_after: i64 },
}

/// What happened to a result offered to a subscriber.
pub enum Offer {
    Taken,
    /// The subscriber is over: its connection closed, or it fell behind.
    Gone,
}

pub struct Member {
    id: String,
    protocol: Protocol,
    head: Arc<str>,
    out: mpsc::Sender<Frame>,
    state: Mutex<State>,
    wake: Notify,
}

struct State {
    /// Results the connection's queue had no room for, oldest first.
    backlog: VecDeque<Frame>,
    /// The position of the last result queued for it (or, before any, where
    /// the evaluation was when it joined): where it resumes if ended early.
    position: i64,
    ending: Option<Ending>,
}

impl Member {
    pub fn new(id: String, protocol: Protocol, out: mpsc::Sender<Frame>) -> Arc<Self> {
        let head = outgoing::next_head(protocol, &id);
        let state = State { backlog: VecDeque::new(), position: 0, ending: None };
        Arc::new(Member { id, protocol, head, out, state: Mutex::new(state), wake: Notify::new() })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn joined_at(&self, position: i64) {
        self.state().position = position;
    }

    /// Queues one shared result, produced at `position`: straight into the
    /// connection's queue when nothing of its own waits before it, else
    /// behind its backlog; a full backlog ends the subscriber.
    pub(super) fn offer(&self, payload: &Arc<str>, position: i64) -> Offer {
        let mut state = self.state();
        if state.ending.is_some() {
            return Offer::Gone;
        }
        let frame = Frame::Shared { head: self.head.clone(), payload: payload.clone() };
        if state.backlog.is_empty() {
            match self.out.try_send(frame) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(frame)) => {
                    state.backlog.push_back(frame);
                    self.wake.notify_one();
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return Offer::Gone,
            }
        } else if state.backlog.len() >= MAX_BACKLOG {
            state.ending = Some(Ending::Lagged { resume_after: state.position });
            self.wake.notify_one();
            return Offer::Gone;
        } else {
            state.backlog.push_back(frame);
        }
        state.position = position;
        Offer::Taken
    }

    /// The evaluation is over for this subscriber (unless it already was).
    pub(super) fn end(&self, ending: Ending) {
        let mut state = self.state();
        if state.ending.is_none() {
            state.ending = Some(ending);
        }
        self.wake.notify_one();
    }

    /// Moves the backlog into the connection's queue, waiting for room, in
    /// order; once it is empty and the evaluation over, sends the last
    /// message. `finished` runs just before that message is queued.
    pub async fn serve(&self, finished: impl FnOnce()) {
        loop {
            // The front stays in the backlog until the connection took it,
            // so that a new result cannot overtake it through the fast path.
            let (front, ending) = {
                let state = self.state();
                (state.backlog.front().cloned(), state.ending.clone())
            };
            if let Some(frame) = front {
                if self.out.send(frame).await.is_err() {
                    return;
                }
                self.state().backlog.pop_front();
                continue;
            }
            if let Some(ending) = ending {
                finished();
                let last = match ending {
                    Ending::Completed => vec![outgoing::complete(&self.id)],
                    Ending::Refused(errors) => {
                        vec![Frame::Shared { head: outgoing::error_head(&self.id), payload: errors }.into_message()]
                    }
                    Ending::Lagged { resume_after } => vec![
                        outgoing::lagged(self.protocol, &self.id, MAX_BACKLOG, resume_after),
                        outgoing::complete(&self.id),
                    ],
                };
                for message in last {
                    if self.out.send(Frame::Message(message)).await.is_err() {
                        return;
                    }
                }
                return;
            }
            self.wake.notified().await;
        }
    }
}
