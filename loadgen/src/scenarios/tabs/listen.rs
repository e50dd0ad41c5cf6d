//! The tabs' and dashboards' connections, one subscription each: every
//! result noted with what it is about (its position or version, and whether
//! it is about someone else's account) and when it arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::customers::Customer;
use super::layout::{DASHBOARD, Layout, Role, TAB_ACCOUNT, TAB_EVENTS, Watch};
use crate::scenarios::connect::{Planned, Subscription, open_all};
use crate::scenarios::fleet::string_field;
use crate::ws::{Connection, Incoming, Raw};

/// One result as it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The event's position (`events`) or the account's version (`accountUpdated`).
    pub key: i64,
    /// About an account that is not the tab's customer's.
    pub foreign: bool,
    pub arrived_at: DateTime<Utc>,
}

/// What one subscriber heard, in arrival order.
#[derive(Debug, Default)]
pub struct Heard {
    pub received: Vec<Received>,
    /// Results that are not what was asked, errors, the connection's end.
    pub problems: Vec<String>,
}

pub struct TabFleet {
    /// The highest key each subscriber has received about its own account
    /// (any for a dashboard); 0 before the first.
    highest: Arc<Vec<AtomicI64>>,
    stop: watch::Sender<bool>,
    tasks: Vec<(usize, JoinHandle<Heard>)>,
}

impl TabFleet {
    /// Opens one connection per subscriber, with its customer's token (the
    /// admin's for a dashboard), and subscribes.
    pub async fn open(
        url: &str,
        layout: Layout,
        customers: &[Customer],
        admin_token: Option<&str>,
    ) -> anyhow::Result<TabFleet> {
        let mut planned = Vec::with_capacity(layout.subscribers);
        for subscriber in 0..layout.subscribers {
            let role = layout.role(subscriber);
            let (token, query, variables, own_account) = match role {
                Role::Dashboard => {
                    let token = admin_token.ok_or_else(|| anyhow::anyhow!("dashboards need an admin"))?;
                    (token, DASHBOARD, json!({}), None)
                }
                Role::Tab { customer, watch } => {
                    let owner = customers.get(customer).ok_or_else(|| {
                        anyhow::anyhow!("tab {subscriber} belongs to customer {customer}, not set up")
                    })?;
                    let (query, variables) = match watch {
                        Watch::Account => (TAB_ACCOUNT, json!({ "id": owner.account })),
                        Watch::Events => (TAB_EVENTS, json!({})),
                    };
                    (owner.token.as_str(), query, variables, Some(owner.account.clone()))
                }
            };
            let id = subscriber.to_string();
            let subscription = Subscription { id: id.clone(), query: query.to_owned(), variables };
            let listener = Listener { id, subscriber, role, own_account };
            planned.push(Planned { token: token.to_owned(), subscriptions: vec![subscription], tag: listener });
        }
        let connections = open_all(url, planned).await?;
        let highest: Arc<Vec<AtomicI64>> = Arc::new((0..layout.subscribers).map(|_| AtomicI64::new(0)).collect());
        let (stop, stopped) = watch::channel(false);
        let tasks = connections
            .into_iter()
            .map(|(connection, listener)| {
                let subscriber = listener.subscriber;
                (subscriber, tokio::spawn(listener.listen(connection, highest.clone(), stopped.clone())))
            })
            .collect();
        Ok(TabFleet { highest, stop, tasks })
    }

    /// The highest key `subscriber` has received about its own account.
    pub fn highest(&self, subscriber: usize) -> i64 {
        self.highest.get(subscriber).map_or(0, |seen| seen.load(Ordering::Relaxed))
    }

    pub fn connections(&self) -> usize {
        self.tasks.len()
    }

    /// Closes every connection; what each subscriber heard, by subscriber.
    pub async fn close(self) -> Vec<Heard> {
        let _ = self.stop.send(true);
        let mut heard: Vec<Heard> = (0..self.highest.len()).map(|_| Heard::default()).collect();
        for (subscriber, task) in self.tasks {
            let own = match task.await {
                Ok(own) => own,
                Err(err) => Heard { received: Vec::new(), problems: vec![format!("its task failed: {err}")] },
            };
            if let Some(slot) = heard.get_mut(subscriber) {
                *slot = own;
            }
        }
        heard
    }
}

struct Listener {
    /// The subscription's operation id.
    id: String,
    subscriber: usize,
    role: Role,
    /// A tab's customer's account.
    own_account: Option<String>,
}

impl Listener {
    async fn listen(
        self,
        mut connection: Connection,
        highest: Arc<Vec<AtomicI64>>,
        mut stopped: watch::Receiver<bool>,
    ) -> Heard {
        let mut heard = Heard::default();
        loop {
            let incoming = tokio::select! {
                _ = stopped.changed() => break,
                incoming = connection.next_raw() => incoming,
            };
            let arrived_at = Utc::now();
            match incoming {
                Ok(Raw::Next(text)) => match self.read(&text) {
                    Ok((key, foreign)) => {
                        if !foreign && let Some(slot) = highest.get(self.subscriber) {
                            slot.fetch_max(key, Ordering::Relaxed);
                        }
                        heard.received.push(Received { key, foreign, arrived_at });
                    }
                    Err(problem) => heard.problems.push(problem),
                },
                Ok(Raw::Other(Incoming::Ended { id, message })) => {
                    heard.problems.push(format!("subscription {id} ended: {message}"));
                }
                Ok(Raw::Other(Incoming::Closed(why))) => {
                    heard.problems.push(format!("connection closed: {why}"));
                    break;
                }
                Ok(Raw::Other(_)) => {}
                Err(err) => {
                    heard.problems.push(format!("{err:#}"));
                    break;
                }
            }
        }
        connection.close().await;
        heard
    }

    /// A `next` message's key, and whether it is about someone else's account.
    fn read(&self, text: &str) -> Result<(i64, bool), String> {
        let unexpected = || format!("subscriber {} got an unexpected result: {text}", self.id);
        let Some((head, payload)) = text.split_once(r#""payload":"#) else { return Err(unexpected()) };
        // The envelope's id comes before the payload as the server writes
        // it; otherwise it is the last one (an account's id is inside).
        let id = string_field(head, "id").or_else(|| last_string_field(payload, "id"));
        if id != Some(self.id.as_str()) || payload.contains(r#""errors""#) {
            return Err(unexpected());
        }
        let (key, about) = match self.role {
            Role::Dashboard | Role::Tab { watch: Watch::Events, .. } => {
                (string_field(payload, "position").and_then(|p| p.parse().ok()), string_field(payload, "streamId"))
            }
            Role::Tab { watch: Watch::Account, .. } => (number_field(payload, "version"), string_field(payload, "id")),
        };
        let (Some(key), Some(about)) = (key, about) else { return Err(unexpected()) };
        let foreign = self.own_account.as_deref().is_some_and(|own| own != about);
        Ok((key, foreign))
    }
}

/// The string value of the last `"key":"…"` in `text`.
fn last_string_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let pattern = format!("\"{key}\":\"");
    let start = text.rfind(&pattern)? + pattern.len();
    let length = text[start..].find('"')?;
    Some(&text[start..start + length])
}

/// The whole-number value of the first `"key":N` in `text`.
fn number_field(text: &str, key: &str) -> Option<i64> {
    let pattern = format!("\"{key}\":");
    let start = text.find(&pattern)? + pattern.len();
    let digits = text[start..]
        .find(|c: char| !c.is_ascii_digit() && c != '-')
        .map_or(&text[start..], |end| &text[start..start + end]);
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINE: &str = "0192f000-0000-7000-8000-000000000001";
    const THEIRS: &str = "0192f000-0000-7000-8000-000000000002";

    fn tab(watch: Watch) -> Listener {
        Listener {
            id: "7".into(),
            subscriber: 7,
            role: Role::Tab { customer: 1, watch },
            own_account: Some(MINE.into()),
        }
    }

    #[test]
    fn an_account_update_is_keyed_by_version() {
        let text = format!(
            r#"{{"type":"next","id":"7","payload":{{"data":{{"accountUpdated":{{"id":"{MINE}","balance":"3.00","version":4,"updatedAt":"2026-12-02T07:00:00Z"}}}}}}}}"#
        );
        assert_eq!(tab(Watch::Account).read(&text), Ok((4, false)));
        let theirs = text.replace(MINE, THEIRS);
        assert_eq!(tab(Watch::Account).read(&theirs), Ok((4, true)));
        // The envelope's id after the payload.
        let late = format!(
            r#"{{"type":"next","payload":{{"data":{{"accountUpdated":{{"id":"{MINE}","version":5}}}}}},"id":"7"}}"#
        );
        assert_eq!(tab(Watch::Account).read(&late), Ok((5, false)));
    }

    #[test]
    fn an_event_is_keyed_by_position() {
        let text = format!(
            r#"{{"type":"next","id":"7","payload":{{"data":{{"events":{{"position":"812","streamId":"{THEIRS}","type":"MoneyDeposited","recordedAt":"2026-12-02T07:00:00Z"}}}}}}}}"#
        );
        assert_eq!(tab(Watch::Events).read(&text), Ok((812, true)));
        let dashboard = Listener { role: Role::Dashboard, own_account: None, ..tab(Watch::Events) };
        assert_eq!(dashboard.read(&text), Ok((812, false)));
    }

    #[test]
    fn errors_and_other_ids_are_problems() {
        let errors = r#"{"type":"next","id":"7","payload":{"errors":[{"message":"no"}]}}"#;
        assert!(tab(Watch::Events).read(errors).is_err());
        let other = r#"{"type":"next","id":"8","payload":{"data":{"events":{"position":"1","streamId":"x"}}}}"#;
        assert!(tab(Watch::Events).read(other).is_err());
    }
}
