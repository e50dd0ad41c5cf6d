//! Judging each subscriber against what the writer committed: a tab must
//! receive every deposit on its own customer's account made while it was
//! subscribed, once each and in order, and nothing about anyone else's; a
//! dashboard every deposit.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use serde_json::json;

use super::layout::{Layout, Role, Watch};
use super::listen::Heard;
use super::writer::Deposit;
use crate::report::Summary;
use crate::stats::{Percentiles, new_histogram};

/// The figures of one kind of subscriber.
pub struct Tally {
    pub subscribers: usize,
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicates: u64,
    /// About another customer's account.
    pub foreign: u64,
    /// Below a key the subscriber already had.
    pub out_of_order: u64,
    /// About the tab's own account, but no deposit the tool made.
    pub unknown: u64,
    pub problems: Vec<String>,
    /// Commit to arrival, microseconds, of each expected result's first arrival.
    pub latency: Histogram<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            subscribers: 0,
            expected: 0,
            delivered: 0,
            lost: 0,
            duplicates: 0,
            foreign: 0,
            out_of_order: 0,
            unknown: 0,
            problems: Vec::new(),
            latency: new_histogram(),
        }
    }
}

pub struct Verdict {
    pub tabs: Tally,
    pub dashboards: Tally,
}

/// What one subscriber is owed: the keys it must receive (with their commit
/// times) and those it may receive (deposits made while it was starting).
struct Owed {
    expected: HashMap<i64, DateTime<Utc>>,
    allowed: HashSet<i64>,
    /// A key in neither counts as unknown (a dashboard may see events of others).
    strict: bool,
}

/// `written`: the run's deposits, all made after every subscriber had
/// received one result; `warm_up`: the deposits that got them started.
pub fn judge(layout: &Layout, written: &[Deposit], warm_up: &[Deposit], heard: &[Heard]) -> Verdict {
    let key = |watch: Watch, deposit: &Deposit| match watch {
        Watch::Account => deposit.version,
        Watch::Events => deposit.position,
    };
    let mut by_customer: HashMap<usize, (Vec<&Deposit>, Vec<&Deposit>)> = HashMap::new();
    for deposit in written {
        by_customer.entry(deposit.customer).or_default().0.push(deposit);
    }
    for deposit in warm_up {
        by_customer.entry(deposit.customer).or_default().1.push(deposit);
    }
    let dashboard = Owed {
        expected: written.iter().map(|d| (d.position, d.committed_at)).collect(),
        allowed: warm_up.iter().map(|d| d.position).collect(),
        strict: false,
    };
    let mut verdict = Verdict { tabs: Tally::default(), dashboards: Tally::default() };
    for (subscriber, heard) in heard.iter().enumerate() {
        match layout.role(subscriber) {
            Role::Dashboard => verdict.dashboards.add(subscriber, &dashboard, heard),
            Role::Tab { customer, watch } => {
                let (run, warm) = by_customer.get(&customer).map(|(r, w)| (&r[..], &w[..])).unwrap_or_default();
                let owed = Owed {
                    expected: run.iter().map(|d| (key(watch, d), d.committed_at)).collect(),
                    allowed: warm.iter().map(|d| key(watch, d)).collect(),
                    strict: true,
                };
                verdict.tabs.add(subscriber, &owed, heard);
            }
        }
    }
    verdict
}

impl Tally {
    fn add(&mut self, subscriber: usize, owed: &Owed, heard: &Heard) {
        self.subscribers += 1;
        self.expected += owed.expected.len() as u64;
        let mut had: HashSet<i64> = HashSet::with_capacity(heard.received.len());
        let mut highest = i64::MIN;
        let mut delivered = 0u64;
        for received in &heard.received {
            if received.foreign {
                self.foreign += 1;
                continue;
            }
            if !had.insert(received.key) {
                self.duplicates += 1;
                continue;
            }
            if received.key < highest {
                self.out_of_order += 1;
            }
            highest = highest.max(received.key);
            if let Some(committed_at) = owed.expected.get(&received.key) {
                delivered += 1;
                let micros = (received.arrived_at - *committed_at).num_microseconds().unwrap_or(i64::MAX);
                self.latency.saturating_record(u64::try_from(micros.max(1)).unwrap_or(u64::MAX));
            } else if owed.strict && !owed.allowed.contains(&received.key) {
                self.unknown += 1;
            }
        }
        self.delivered += delivered;
        self.lost += owed.expected.len() as u64 - delivered;
        self.problems.extend(heard.problems.iter().map(|p| format!("subscriber {subscriber}: {p}")));
    }

    /// Its figures under `name`, and a failure for each kind of fault.
    fn report(&self, summary: &mut Summary, name: &str) {
        summary.detail(
            name,
            json!({
                "subscribers": self.subscribers,
                "expected": self.expected,
                "delivered": self.delivered,
                "lost": self.lost,
                "duplicates": self.duplicates,
                "foreign": self.foreign,
                "unknown": self.unknown,
                "out_of_order": self.out_of_order,
                "latency": Percentiles::of(&self.latency),
                "problems": self.problems.len(),
            }),
        );
        for (count, what) in [
            (self.lost, "deliveries lost"),
            (self.duplicates, "duplicate deliveries"),
            (self.foreign, "deliveries about another customer's account"),
            (self.unknown, "deliveries of changes the tool never made"),
            (self.out_of_order, "deliveries out of order"),
        ] {
            if count > 0 {
                summary.fail(format!("{name}: {count} {what}"));
            }
        }
        if let Some(first) = self.problems.first() {
            summary.fail(format!("{name}: {} subscription problems, the first: {first}", self.problems.len()));
        }
    }
}

impl Verdict {
    pub fn delivered(&self) -> u64 {
        self.tabs.delivered + self.dashboards.delivered
    }

    pub fn report(&self, summary: &mut Summary) {
        let mut all = Tally::default();
        for part in [&self.tabs, &self.dashboards] {
            all.subscribers += part.subscribers;
            all.expected += part.expected;
            all.delivered += part.delivered;
            all.lost += part.lost;
            all.duplicates += part.duplicates;
            all.foreign += part.foreign;
            all.unknown += part.unknown;
            all.out_of_order += part.out_of_order;
            all.problems.extend(part.problems.iter().cloned());
            // Same bounds on both sides, so adding cannot fail.
            let _ = all.latency.add(&part.latency);
        }
        summary.detail(
            "delivery",
            json!({
                "expected": all.expected,
                "delivered": all.delivered,
                "lost": all.lost,
                "duplicates": all.duplicates,
                "foreign": all.foreign,
                "out_of_order": all.out_of_order,
                "latency": Percentiles::of(&all.latency),
            }),
        );
        self.tabs.report(summary, "tabs");
        if self.dashboards.subscribers > 0 {
            self.dashboards.report(summary, "dashboards");
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::scenarios::tabs::listen::Received;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::milliseconds(ms)
    }

    fn deposit(customer: usize, position: i64, version: i64) -> Deposit {
        Deposit { customer, position, version, committed_at: at(position * 10) }
    }

    /// Results keyed by position, each 3 ms after its commit.
    fn got(keys: &[i64]) -> Heard {
        got_at(&keys.iter().map(|&key| (key, key * 10 + 3)).collect::<Vec<_>>())
    }

    /// Results with their arrival times in ms.
    fn got_at(keys: &[(i64, i64)]) -> Heard {
        let received = keys.iter().map(|&(key, ms)| Received { key, foreign: false, arrived_at: at(ms) }).collect();
        Heard { received, problems: Vec::new() }
    }

    /// Customer 0 has deposits at positions 10, 12 (versions 2, 3); customer 1 at 11 (version 2).
    /// Layout: one dashboard, then tab 1 (customer 0, account), tab 2 (customer 1, events),
    /// tab 3 (customer 0, events), tab 4 (customer 1, account).
    fn case() -> (Layout, Vec<Deposit>, Vec<Deposit>) {
        let layout = Layout::new(5, 1, 2, 0.5);
        assert_eq!(layout.role(1), Role::Tab { customer: 0, watch: Watch::Events });
        assert_eq!(layout.role(2), Role::Tab { customer: 1, watch: Watch::Account });
        assert_eq!(layout.role(3), Role::Tab { customer: 0, watch: Watch::Account });
        assert_eq!(layout.role(4), Role::Tab { customer: 1, watch: Watch::Events });
        let warm_up = vec![deposit(0, 5, 1), deposit(1, 6, 1)];
        let written = vec![deposit(0, 10, 2), deposit(1, 11, 2), deposit(0, 12, 3)];
        (layout, written, warm_up)
    }

    fn perfect() -> Vec<Heard> {
        // Versions arrive 3 ms after the commit of their deposit's position.
        vec![
            got(&[5, 6, 10, 11, 12]),
            got(&[5, 10, 12]),
            got_at(&[(2, 113)]),
            got_at(&[(1, 53), (2, 103), (3, 123)]),
            got(&[11]),
        ]
    }

    #[test]
    fn every_own_change_once_in_order_passes() {
        let (layout, written, warm_up) = case();
        let verdict = judge(&layout, &written, &warm_up, &perfect());
        let mut summary = Summary::new("t", 1);
        verdict.report(&mut summary);
        assert!(summary.failures.is_empty(), "{:?}", summary.failures);
        assert_eq!((verdict.tabs.expected, verdict.tabs.delivered), (6, 6));
        assert_eq!((verdict.dashboards.expected, verdict.dashboards.delivered), (3, 3));
        let latency = &verdict.tabs.latency;
        assert_eq!(latency.len(), 6);
        assert!(latency.min() >= 2990 && latency.max() <= 3010, "{} to {}", latency.min(), latency.max());
    }

    #[test]
    fn a_missing_change_is_lost() {
        let (layout, written, warm_up) = case();
        let mut heard = perfect();
        heard[3] = got_at(&[(1, 53), (3, 123)]);
        let verdict = judge(&layout, &written, &warm_up, &heard);
        assert_eq!((verdict.tabs.lost, verdict.tabs.delivered), (1, 5));
        let mut summary = Summary::new("t", 1);
        verdict.report(&mut summary);
        assert_eq!(summary.failures, ["tabs: 1 deliveries lost"]);
    }

    #[test]
    fn twice_is_a_duplicate_and_backwards_is_out_of_order() {
        let (layout, written, warm_up) = case();
        let mut heard = perfect();
        heard[1] = got(&[10, 10, 12]);
        heard[3] = got_at(&[(3, 123), (2, 103)]);
        let verdict = judge(&layout, &written, &warm_up, &heard);
        assert_eq!((verdict.tabs.duplicates, verdict.tabs.out_of_order, verdict.tabs.lost), (1, 1, 0));
    }

    #[test]
    fn someone_elses_change_is_foreign_and_a_change_never_made_is_unknown() {
        let (layout, written, warm_up) = case();
        let mut heard = perfect();
        heard[4].received.push(Received { key: 12, foreign: true, arrived_at: at(200) });
        heard[2].received.push(Received { key: 9, foreign: false, arrived_at: at(200) });
        // A dashboard may see events the tool did not make.
        heard[0].received.push(Received { key: 13, foreign: false, arrived_at: at(200) });
        let verdict = judge(&layout, &written, &warm_up, &heard);
        assert_eq!((verdict.tabs.foreign, verdict.tabs.unknown), (1, 1));
        assert_eq!(verdict.tabs.out_of_order, 0);
        let mut summary = Summary::new("t", 1);
        verdict.report(&mut summary);
        assert_eq!(summary.failures.len(), 2, "{:?}", summary.failures);
    }
}
