//! S live `events` subscriptions spread over websocket connections, each
//! noting what it receives and when.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ops;
use crate::ws::{Connection, Incoming};

/// One event received by one subscriber.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub subscriber: u32,
    pub position: i64,
    /// Receive time minus the event's `recordedAt`, microseconds.
    pub latency_us: i64,
}

/// What the connections gathered.
#[derive(Debug, Default)]
pub struct Gathered {
    pub deliveries: Vec<Delivery>,
    /// Operations ended by the server, connections closed, bad frames.
    pub problems: Vec<String>,
}

pub struct Fleet {
    /// Highest position each subscriber has received.
    seen: Arc<Vec<AtomicI64>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Gathered>>,
    pub connections: usize,
}

impl Fleet {
    /// Opens the connections (a few at a time) and subscribes; returns once
    /// every subscribe message is sent.
    pub async fn open(url: &str, token: &str, subscribers: usize, per_connection: usize) -> anyhow::Result<Fleet> {
        let per_connection = per_connection.max(1);
        let seen: Arc<Vec<AtomicI64>> = Arc::new((0..subscribers).map(|_| AtomicI64::new(0)).collect());
        let groups: Vec<(usize, usize)> = (0..subscribers)
            .step_by(per_connection)
            .map(|first| (first, (first + per_connection).min(subscribers)))
            .collect();
        let connections: Vec<(Connection, (usize, usize))> = stream::iter(groups)
            .map(|group| async move {
                let mut connection = Connection::open(url, token).await?;
                for subscriber in group.0..group.1 {
                    connection.subscribe(&subscriber.to_string(), ops::LIVE_EVENTS, json!({})).await?;
                }
                anyhow::Ok((connection, group))
            })
            .buffer_unordered(16)
            .try_collect()
            .await
            .context("cannot open the subscribers")?;
        let (stop, stopped) = watch::channel(false);
        let count = connections.len();
        let tasks = connections
            .into_iter()
            .map(|(connection, _)| tokio::spawn(listen(connection, seen.clone(), stopped.clone())))
            .collect();
        Ok(Fleet { seen, stop, tasks, connections: count })
    }

    /// How many subscribers have received `position` or later.
    pub fn reached(&self, position: i64) -> usize {
        self.seen.iter().filter(|seen| seen.load(Ordering::Relaxed) >= position).count()
    }

    pub fn subscribers(&self) -> usize {
        self.seen.len()
    }

    /// Closes every connection and hands back what they received.
    pub async fn close(self) -> Gathered {
        let _ = self.stop.send(true);
        let mut all = Gathered::default();
        for task in self.tasks {
            match task.await {
                Ok(mut gathered) => {
                    all.deliveries.append(&mut gathered.deliveries);
                    all.problems.append(&mut gathered.problems);
                }
                Err(err) => all.problems.push(format!("a connection task failed: {err}")),
            }
        }
        all
    }
}

async fn listen(mut connection: Connection, seen: Arc<Vec<AtomicI64>>, mut stopped: watch::Receiver<bool>) -> Gathered {
    let mut gathered = Gathered::default();
    loop {
        let incoming = tokio::select! {
            _ = stopped.changed() => break,
            incoming = connection.next() => incoming,
        };
        let received_at = Utc::now();
        match incoming {
            Ok(Incoming::Next { id, payload }) => match delivery(&id, &payload, received_at) {
                Some(delivery) => {
                    if let Some(slot) = seen.get(delivery.subscriber as usize) {
                        slot.fetch_max(delivery.position, Ordering::Relaxed);
                    }
                    gathered.deliveries.push(delivery);
                }
                None => gathered.problems.push(format!("unexpected result for {id}: {payload}")),
            },
            Ok(Incoming::Ended { id, message }) => {
                gathered.problems.push(format!("subscription {id} ended: {message}"));
            }
            Ok(Incoming::Closed(why)) => {
                gathered.problems.push(format!("connection closed: {why}"));
                break;
            }
            Ok(Incoming::Ack) => {}
            Err(err) => {
                gathered.problems.push(format!("{err:#}"));
                break;
            }
        }
    }
    connection.close().await;
    gathered
}

fn delivery(id: &str, payload: &Value, received_at: DateTime<Utc>) -> Option<Delivery> {
    let event = &payload["data"]["events"];
    let position = event["position"].as_str()?.parse().ok()?;
    let recorded_at = DateTime::parse_from_rfc3339(event["recordedAt"].as_str()?).ok()?;
    let latency_us = (received_at - recorded_at.with_timezone(&Utc)).num_microseconds()?;
    Some(Delivery { subscriber: id.parse().ok()?, position, latency_us })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_payload_is_a_delivery() {
        let payload = json!({"data": {"events": {"position": "7", "recordedAt": "2026-01-01T00:00:00.000100Z"}}});
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00.002100Z").unwrap().with_timezone(&Utc);
        let d = delivery("3", &payload, at).unwrap();
        assert_eq!((d.subscriber, d.position, d.latency_us), (3, 7, 2000));
    }
}
