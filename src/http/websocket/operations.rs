//! The live operations of one connection. Each runs in a task of its own and
//! sends its results into the connection's one bounded outgoing channel, so a
//! slow socket slows the producers instead of filling memory.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Data, Executor, Request, Response};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::frame::Frame;
use super::shared::{Member, ShareKey, SharedSubscriptions};
use super::{Protocol, outgoing};
use crate::http::metrics::Open;

/// Sent by an operation's task as soon as its stream is over, before its
/// last message is queued: by the time the client learns the id is free, the
/// connection knows too.
pub struct Finished {
    id: String,
    generation: u64,
}

pub struct Operations {
    live: HashMap<String, Live>,
    /// Tells a finished task apart from a later one that reused its id.
    next_generation: u64,
    finished: mpsc::UnboundedSender<Finished>,
}

struct Live {
    generation: u64,
    task: JoinHandle<()>,
    /// A subscription, which runs until stopped; a query or mutation ends by itself.
    lasting: bool,
    /// Counts a subscription among the live ones while it is in the set.
    _counted: Option<Open>,
}

impl Operations {
    /// The set, and where its tasks report that they finished (at most one
    /// report per operation, so the channel stays small).
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Finished>) {
        let (finished, reports) = mpsc::unbounded_channel();
        let operations = Self { live: HashMap::new(), next_generation: 0, finished };
        (operations, reports)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.live.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Starts `request` under the client's `id`; `lasting` for a subscription.
    pub fn start<E: Executor>(
        &mut self,
        (id, request, lasting): (String, Request, bool),
        executor: &E,
        session: Arc<Data>,
        protocol: Protocol,
        out: mpsc::Sender<Frame>,
    ) {
        let stream = executor.execute_stream(request, Some(session));
        let generation = self.next_generation;
        self.next_generation += 1;
        let done = Finished { id: id.clone(), generation };
        let task = tokio::spawn(run(id.clone(), stream, protocol, out, self.finished.clone(), done));
        let live = Live { generation, task, lasting, _counted: lasting.then(Open::subscription) };
        if let Some(replaced) = self.live.insert(id, live) {
            replaced.task.abort();
        }
    }

    /// Starts the subscription `request` under the client's `id` as a member
    /// of the shared evaluation of `key`, starting that evaluation if none runs.
    pub fn join<E: Executor>(
        &mut self,
        (id, request, key): (String, Request, ShareKey),
        executor: &E,
        session: Arc<Data>,
        (protocol, out): (Protocol, mpsc::Sender<Frame>),
        shared: &SharedSubscriptions,
    ) {
        let member = Member::new(id.clone(), protocol, out);
        let executor = executor.clone();
        let start = move |cursor| executor.execute_stream(request.data(cursor), Some(session));
        let membership = shared.join(key, member.clone(), start);
        let generation = self.next_generation;
        self.next_generation += 1;
        let done = Finished { id: id.clone(), generation };
        let finished = self.finished.clone();
        let task = tokio::spawn(async move {
            // Holding the membership for as long as the task runs: aborting
            // the task (complete, close, shutdown) leaves the group.
            let _membership = membership;
            member
                .serve(move || {
                    let _ = finished.send(done);
                })
                .await;
        });
        let live = Live { generation, task, lasting: true, _counted: Some(Open::subscription()) };
        if let Some(replaced) = self.live.insert(id, live) {
            replaced.task.abort();
        }
    }

    /// Stops an operation, dropping its stream. Unknown ids are ignored: the
    /// operation may just have finished.
    pub fn stop(&mut self, id: &str) {
        if let Some(live) = self.live.remove(id) {
            live.task.abort();
        }
    }

    /// For a shutdown: stops the subscriptions, giving their ids, and hands
    /// over the queries and mutations, which are left to finish (each then
    /// sends its own last message).
    pub fn going_away(&mut self) -> (Vec<String>, Vec<JoinHandle<()>>) {
        let (mut stopped, mut finishing) = (Vec::new(), Vec::new());
        for (id, live) in self.live.drain() {
            if live.lasting {
                live.task.abort();
                stopped.push(id);
            } else {
                finishing.push(live.task);
            }
        }
        (stopped, finishing)
    }

    pub fn finished(&mut self, report: Finished) {
        if self.live.get(&report.id).is_some_and(|live| live.generation == report.generation) {
            self.live.remove(&report.id);
        }
    }
}

/// When the connection ends, every operation ends with it.
impl Drop for Operations {
    fn drop(&mut self) {
        for live in self.live.values() {
            live.task.abort();
        }
    }
}

async fn run(
    id: String,
    mut stream: BoxStream<'static, Response>,
    protocol: Protocol,
    out: mpsc::Sender<Frame>,
    finished: mpsc::UnboundedSender<Finished>,
    done: Finished,
) {
    let mut first = true;
    while let Some(response) = stream.next().await {
        if first && refused(&response) {
            // The receiver is gone only when the connection is closing.
            let _ = finished.send(done);
            let _ = out.send(outgoing::error(&id, &response.errors).into()).await;
            return;
        }
        first = false;
        if out.send(outgoing::next(protocol, &id, &response).into()).await.is_err() {
            return;
        }
    }
    let _ = finished.send(done);
    let _ = out.send(outgoing::complete(&id).into()).await;
}

/// Nothing executed: validation failed, or the subscription resolver itself
/// refused. Both protocols report that with an `error` message.
pub(super) fn refused(response: &Response) -> bool {
    response.data == async_graphql::Value::Null && !response.errors.is_empty()
}
