//! Group commit: one writer task per store takes the commits of all the
//! requests that are waiting and writes them in one transaction.
//!
//! An idle writer takes the first commit at once; while a transaction runs,
//! the commits that arrive queue up and form the next batch, which closes at
//! [`MAX_BATCH`] or as soon as the previous one has committed. So batches grow
//! with the load, and one flush to disk carries many commands.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::batch::{self, Outcome, Written};
use crate::application::ports::{Commit, CommitError, CommitObserver, RecordedEvent};
use crate::infrastructure::database::Dialect;
use crate::infrastructure::projections::{Projection, Target, project};

/// Commits at most per transaction.
pub const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Vec<RecordedEvent>, CommitError>>;

struct Pending {
    commit: Commit,
    reply: Reply,
}

/// The sending side of the writer's queue.
#[derive(Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::UnboundedSender<Pending>,
}

/// What the writer task owns.
pub(super) struct Writer {
    pub db: DatabaseConnection,
    pub projections: Arc<[Arc<dyn Projection>]>,
    /// Told of every batch right after it committed, before any of its
    /// commands is answered.
    pub observer: Arc<OnceLock<Arc<dyn CommitObserver>>>,
}

impl GroupCommit {
    pub fn start(writer: Writer) -> Self {
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(writer.run(pending));
        GroupCommit { queue }
    }

    /// Queues `commit` for the next batch and waits for its outcome. The
    /// commit goes ahead even if the caller stops waiting.
    pub async fn commit(&self, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        let (reply, outcome) = oneshot::channel();
        self.queue.send(Pending { commit, reply }).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn stopped() -> CommitError {
    CommitError::Store(anyhow::anyhow!("the event store's writer has stopped"))
}

/// Why a batch was not written.
enum Failure {
    /// Before anything could be tried (no connection, no transaction): the
    /// same for every member.
    Unavailable(anyhow::Error),
    /// A statement of the batch failed; each member alone may still succeed.
    Statement(anyhow::Error),
    /// The commit itself failed: whether it took effect is unknown, so no
    /// member may be tried again.
    Commit(anyhow::Error),
}

impl Writer {
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Pending>) {
        let mut waiting: VecDeque<Pending> = VecDeque::new();
        loop {
            if waiting.is_empty() {
                match queue.recv().await {
                    Some(pending) => waiting.push_back(pending),
                    None => return, // the store is gone
                }
            }
            while waiting.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(pending) => waiting.push_back(pending),
                    Err(_) => break,
                }
            }
            let take = waiting.len().min(MAX_BATCH);
            let batch: Vec<Pending> = waiting.drain(..take).collect();
            let deferred = self.commit_batch(batch).await;
            for pending in deferred.into_iter().rev() {
                waiting.push_front(pending);
            }
        }
    }

    /// Writes `batch` and answers its members; returns those deferred to the
    /// next batch.
    async fn commit_batch(&self, batch: Vec<Pending>) -> Vec<Pending> {
        let commits: Vec<&Commit> = batch.iter().map(|p| &p.commit).collect();
        match self.write(&commits).await {
            Ok(written) => self.answer(batch, written),
            Err(Failure::Statement(error)) if batch.len() > 1 => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    commits = batch.len(),
                    "a group commit failed; committing its commits one by one"
                );
                self.commit_one_by_one(batch).await
            }
            Err(Failure::Unavailable(error) | Failure::Statement(error) | Failure::Commit(error)) => {
                let message = format!("{error:#}");
                for pending in batch {
                    let _ = pending.reply.send(Err(CommitError::Store(anyhow::anyhow!("{message}"))));
                }
                Vec::new()
            }
        }
    }

    /// After a batch failed on a statement: each commit in a transaction of
    /// its own, so only the one at fault fails.
    async fn commit_one_by_one(&self, batch: Vec<Pending>) -> Vec<Pending> {
        let mut deferred = Vec::new();
        let mut unavailable: Option<String> = None;
        for pending in batch {
            if let Some(error) = &unavailable {
                let _ = pending.reply.send(Err(CommitError::Store(anyhow::anyhow!("{error}"))));
                continue;
            }
            match self.write(&[&pending.commit]).await {
                Ok(written) => deferred.extend(self.answer(vec![pending], written)),
                Err(Failure::Unavailable(error)) => {
                    unavailable = Some(format!("{error:#}"));
                    let _ = pending.reply.send(Err(CommitError::Store(error)));
                }
                Err(Failure::Statement(error) | Failure::Commit(error)) => {
                    let _ = pending.reply.send(Err(CommitError::Store(error)));
                }
            }
        }
        deferred
    }

    async fn write(&self, commits: &[&Commit]) -> Result<Written, Failure> {
        let dialect = Dialect::of(&self.db);
        let txn = dialect.begin_write(&self.db).await.map_err(Failure::Unavailable)?;
        dialect.order_appends(&txn).await.map_err(Failure::Unavailable)?;
        let written = batch::write(&txn, dialect, commits).await.map_err(Failure::Statement)?;
        project(&txn, &self.projections, Target::Live, &written.events).await.map_err(Failure::Statement)?;
        txn.commit().await.map_err(|e| Failure::Commit(anyhow::anyhow!(e).context("cannot commit")))?;
        Ok(written)
    }

    fn answer(&self, batch: Vec<Pending>, written: Written) -> Vec<Pending> {
        record_metrics(&written);
        if !written.events.is_empty()
            && let Some(observer) = self.observer.get()
        {
            observer.committed(written.previous_head, &written.events);
        }
        let mut deferred = Vec::new();
        for (pending, outcome) in batch.into_iter().zip(written.outcomes) {
            match outcome {
                Outcome::Written(events) => {
                    let _ = pending.reply.send(Ok(events));
                }
                Outcome::Refused(error) => {
                    let _ = pending.reply.send(Err(error));
                }
                Outcome::Deferred => deferred.push(pending),
            }
        }
        deferred
    }
}

fn record_metrics(written: &Written) {
    let committed = written.outcomes.iter().filter(|o| matches!(o, Outcome::Written(_))).count();
    metrics::counter!("minibank_commit_batches_total").increment(1);
    metrics::histogram!("minibank_commit_batch_size").record(committed as f64);
    metrics::counter!("minibank_commands_committed_total").increment(committed as u64);
    metrics::counter!("minibank_events_appended_total").increment(written.events.len() as u64);
}
