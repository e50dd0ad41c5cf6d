//! S live `events` subscriptions spread over websocket connections, each
//! noting what it receives and when.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::connect::{Planned, Subscription, open_all};
use crate::ops;
use crate::ws::{Connection, Incoming, Raw};

/// One event received by one subscriber.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub subscriber: u32,
    /// Receive time minus the event's `recordedAt`, microseconds (saturated).
    pub latency_us: u32,
    pub position: i64,
}

/// What the connections gathered.
#[derive(Debug, Default)]
pub struct Gathered {
    pub deliveries: Vec<Delivery>,
    /// Deliveries whose position was not above the subscriber's previous one.
    pub out_of_order: u64,
    /// Operations ended by the server, connections closed, bad frames.
    pub problems: Vec<String>,
}

/// Who subscribes to what.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub subscribers: usize,
    pub per_connection: usize,
    /// Distinct operation texts among the subscribers: subscriber `i` runs
    /// the `i % operations`-th. 1: all identical; `subscribers`: all distinct.
    pub operations: usize,
}

impl Shape {
    /// The operation text of one subscriber. Every variant receives every
    /// event; they differ in their operation name, so the server cannot
    /// share one evaluation between two variants.
    pub fn operation(&self, subscriber: usize) -> String {
        match self.operations {
            0 | 1 => ops::LIVE_EVENTS.to_owned(),
            n => format!("subscription Live{} {{ events {{ position recordedAt }} }}", subscriber % n),
        }
    }
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
    pub async fn open(url: &str, token: &str, shape: Shape) -> anyhow::Result<Fleet> {
        let per_connection = shape.per_connection.max(1);
        let seen: Arc<Vec<AtomicI64>> = Arc::new((0..shape.subscribers).map(|_| AtomicI64::new(0)).collect());
        let planned: Vec<Planned<(usize, usize)>> = (0..shape.subscribers)
            .step_by(per_connection)
            .map(|first| {
                let group = (first, (first + per_connection).min(shape.subscribers));
                let subscriptions = (group.0..group.1)
                    .map(|subscriber| Subscription {
                        id: subscriber.to_string(),
                        query: shape.operation(subscriber),
                        variables: json!({}),
                    })
                    .collect();
                Planned { token: token.to_owned(), subscriptions, tag: group }
            })
            .collect();
        let connections = open_all(url, planned).await?;
        let (stop, stopped) = watch::channel(false);
        let count = connections.len();
        let tasks = connections
            .into_iter()
            .map(|(connection, group)| tokio::spawn(listen(connection, group, seen.clone(), stopped.clone())))
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
                    all.out_of_order += gathered.out_of_order;
                    all.problems.append(&mut gathered.problems);
                }
                Err(err) => all.problems.push(format!("a connection task failed: {err}")),
            }
        }
        all
    }
}

async fn listen(
    mut connection: Connection,
    (first, end): (usize, usize),
    seen: Arc<Vec<AtomicI64>>,
    mut stopped: watch::Receiver<bool>,
) -> Gathered {
    let mut gathered = Gathered::default();
    let mut last = vec![0i64; end - first];
    loop {
        let incoming = tokio::select! {
            _ = stopped.changed() => break,
            incoming = connection.next_raw() => incoming,
        };
        let received_at = Utc::now();
        match incoming {
            Ok(Raw::Next(text)) => match delivery(&text, received_at) {
                Some(delivery) => {
                    let subscriber = delivery.subscriber as usize;
                    if let Some(previous) = subscriber.checked_sub(first).and_then(|at| last.get_mut(at)) {
                        if delivery.position <= *previous {
                            gathered.out_of_order += 1;
                        }
                        *previous = delivery.position.max(*previous);
                    }
                    if let Some(slot) = seen.get(subscriber) {
                        slot.fetch_max(delivery.position, Ordering::Relaxed);
                    }
                    gathered.deliveries.push(delivery);
                }
                None => gathered.problems.push(format!("unexpected result: {text}")),
            },
            Ok(Raw::Other(Incoming::Ended { id, message })) => {
                gathered.problems.push(format!("subscription {id} ended: {message}"));
            }
            Ok(Raw::Other(Incoming::Closed(why))) => {
                gathered.problems.push(format!("connection closed: {why}"));
                break;
            }
            Ok(Raw::Other(_)) => {}
            Err(err) => {
                gathered.problems.push(format!("{err:#}"));
                break;
            }
        }
    }
    connection.close().await;
    gathered
}

/// The string value of the first `"key":"…"` in `text`. Event positions,
/// times and operation ids hold no escaped quotes.
pub(super) fn string_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let pattern = format!("\"{key}\":\"");
    let start = text.find(&pattern)? + pattern.len();
    let length = text[start..].find('"')?;
    Some(&text[start..start + length])
}

/// A `next` message about one event: who got it, which, and how late.
fn delivery(text: &str, received_at: DateTime<Utc>) -> Option<Delivery> {
    let subscriber = string_field(text, "id")?.parse().ok()?;
    let position = string_field(text, "position")?.parse().ok()?;
    let recorded_at = DateTime::parse_from_rfc3339(string_field(text, "recordedAt")?).ok()?;
    let latency_us = (received_at - recorded_at.with_timezone(&Utc)).num_microseconds()?;
    Some(Delivery { subscriber, latency_us: u32::try_from(latency_us.max(1)).unwrap_or(u32::MAX), position })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_message_is_a_delivery() {
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00.002100Z").unwrap().with_timezone(&Utc);
        for text in [
            r#"{"id":"3","payload":{"data":{"events":{"position":"7","recordedAt":"2026-01-01T00:00:00.000100Z"}}},"type":"next"}"#,
            r#"{"type":"next","id":"3","payload":{"data":{"events":{"position":"7","recordedAt":"2026-01-01T00:00:00.000100Z"}}}}"#,
        ] {
            let d = delivery(text, at).unwrap();
            assert_eq!((d.subscriber, d.position, d.latency_us), (3, 7, 2000));
        }
        assert!(delivery(r#"{"type":"next","id":"3","payload":{"errors":[]}}"#, at).is_none());
    }

    #[test]
    fn variants_differ_by_name_only_when_asked() {
        let same = Shape { subscribers: 4, per_connection: 1, operations: 1 };
        assert_eq!(same.operation(0), same.operation(3));
        let mixed = Shape { subscribers: 4, per_connection: 1, operations: 2 };
        assert_eq!(mixed.operation(0), mixed.operation(2));
        assert_ne!(mixed.operation(0), mixed.operation(1));
    }
}
