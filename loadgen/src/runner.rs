//! The closed loop: C clients, each sending one operation and waiting for its
//! answer, until the time is up or N operations were sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::Value;

use crate::client::Gql;
use crate::progress::{Goal, Progress};
use crate::stats::{Outcome, Tally};

/// One operation to send.
pub struct Op {
    pub query: &'static str,
    pub variables: Value,
    pub mutation: bool,
    /// Error codes that are a normal answer for this operation.
    pub expected: &'static [&'static str],
}

/// Picks the next operation.
pub type MakeOp = Arc<dyn Fn(&mut SmallRng) -> Op + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub clients: usize,
    pub duration: Duration,
    pub count: Option<u64>,
    pub quiet: bool,
}

impl Plan {
    pub fn goal(&self) -> Goal {
        self.count.map_or(Goal::Time(self.duration), Goal::Count)
    }
}

pub struct RunResult {
    pub tally: Tally,
    pub elapsed: Duration,
    /// Mutations sent that got no GraphQL answer.
    pub unanswered: u64,
    /// CPU spent and the server's counters over the run.
    pub measured: Option<crate::probe::Measured>,
}

pub async fn run(label: &str, gql: &Gql, plan: Plan, make_op: MakeOp) -> RunResult {
    let progress = Progress::start(label, plan.goal(), plan.quiet);
    let issued = Arc::new(AtomicU64::new(0));
    let reading = crate::probe::start().await;
    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut clients = Vec::new();
    for index in 0..plan.clients.max(1) {
        let client = Client {
            gql: gql.clone(),
            make_op: make_op.clone(),
            done: progress.counter(),
            issued: issued.clone(),
            plan,
            deadline,
        };
        clients.push(tokio::spawn(client.run(index as u64)));
    }
    let mut tally = Tally::default();
    let mut unanswered = 0;
    for client in clients {
        match client.await {
            Ok((own, own_unanswered)) => {
                tally.merge(own);
                unanswered += own_unanswered;
            }
            Err(err) => tally.record(Outcome::Transport(format!("CLIENT_TASK: {err}")), Duration::ZERO),
        }
    }
    let elapsed = started.elapsed();
    let measured = crate::probe::finish(reading).await;
    progress.finish().await;
    RunResult { tally, elapsed, unanswered, measured }
}

struct Client {
    gql: Gql,
    make_op: MakeOp,
    done: Arc<AtomicU64>,
    issued: Arc<AtomicU64>,
    plan: Plan,
    deadline: Instant,
}

impl Client {
    async fn run(self, seed: u64) -> (Tally, u64) {
        let mut rng = SmallRng::seed_from_u64(seed ^ rand::random::<u64>());
        let mut tally = Tally::default();
        let mut unanswered = 0;
        while self.another() {
            let op = (self.make_op)(&mut rng);
            let sent = Instant::now();
            let answer = self.gql.execute(op.query, op.variables).await;
            let took = sent.elapsed();
            let outcome = match answer {
                Ok(_) => Outcome::Ok,
                Err(failure) if op.expected.contains(&failure.code()) => Outcome::Expected(failure.code().to_owned()),
                Err(failure) => failure.outcome(),
            };
            if op.mutation && matches!(outcome, Outcome::Transport(_)) {
                unanswered += 1;
            }
            tally.record(outcome, took);
            self.done.fetch_add(1, Ordering::Relaxed);
        }
        (tally, unanswered)
    }

    fn another(&self) -> bool {
        match self.plan.count {
            Some(count) => self.issued.fetch_add(1, Ordering::Relaxed) < count,
            None => Instant::now() < self.deadline,
        }
    }
}
