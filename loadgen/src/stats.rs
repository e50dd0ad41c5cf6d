//! Per-client tallies of one run: latencies and outcomes, merged at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// How one operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A GraphQL error the scenario expects (INSUFFICIENT_FUNDS on a withdrawal).
    Expected(String),
    /// A GraphQL error carrying this `extensions.code`.
    Error(String),
    /// No GraphQL answer: connection failure, timeout, bad HTTP status, bad body.
    Transport(String),
}

/// Latencies in microseconds, 1 µs to 10 min, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    match Histogram::new_with_bounds(1, 600_000_000, 3) {
        Ok(histogram) => histogram,
        Err(_) => unreachable!("constant bounds are valid"),
    }
}

pub struct Tally {
    pub latency: Histogram<u64>,
    pub ok: u64,
    pub expected: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
    pub transport: BTreeMap<String, u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            latency: new_histogram(),
            ok: 0,
            expected: BTreeMap::new(),
            errors: BTreeMap::new(),
            transport: BTreeMap::new(),
        }
    }
}

impl Tally {
    pub fn record(&mut self, outcome: Outcome, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(micros.max(1));
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Expected(code) => *self.expected.entry(code).or_default() += 1,
            Outcome::Error(code) => *self.errors.entry(code).or_default() += 1,
            Outcome::Transport(kind) => *self.transport.entry(kind).or_default() += 1,
        }
    }

    pub fn merge(&mut self, other: Tally) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.ok += other.ok;
        for (target, source) in [
            (&mut self.expected, other.expected),
            (&mut self.errors, other.errors),
            (&mut self.transport, other.transport),
        ] {
            for (code, n) in source {
                *target.entry(code).or_default() += n;
            }
        }
    }

    pub fn unexpected(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.transport.values().sum::<u64>()
    }
}

/// p50/p95/p99/max in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Percentiles {
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p95_ms: ms(histogram.value_at_quantile(0.95)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_adds_counts_and_latencies() {
        let mut a = Tally::default();
        a.record(Outcome::Ok, Duration::from_millis(1));
        a.record(Outcome::Error("X".into()), Duration::from_millis(3));
        let mut b = Tally::default();
        b.record(Outcome::Expected("INSUFFICIENT_FUNDS".into()), Duration::from_millis(2));
        b.record(Outcome::Transport("timeout".into()), Duration::from_millis(4));
        a.merge(b);
        assert_eq!(a.latency.len(), 4);
        assert_eq!(a.ok, 1);
        assert_eq!(a.unexpected(), 2);
        assert_eq!(a.expected["INSUFFICIENT_FUNDS"], 1);
        let p = Percentiles::of(&a.latency);
        assert!(p.max_ms >= 3.9 && p.max_ms <= 4.1, "{p:?}");
    }
}
