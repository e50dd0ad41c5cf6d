//! `minibank rebuild-projections`: rebuilds the chosen projections one after
//! the other (see [`crate::infrastructure::projections::rebuild`]) and shows
//! how it goes: a progress bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use crate::bootstrap::{self, Settings};
use crate::infrastructure::projections::rebuild::{RebuildProgress, RebuildReport};

/// How often plain progress lines are written.
const LINE_EVERY: Duration = Duration::from_secs(1);

/// Rebuilds `only` that projection, or all of them.
pub async fn run(settings: &Settings, only: Option<&str>, batch: u64) -> anyhow::Result<()> {
    let (rebuilder, selected) = bootstrap::rebuilder(settings, only, batch).await?;
    for projection in selected {
        let name = projection.name();
        let report = if std::io::stderr().is_terminal() {
            let mut bar = Bar::new(name);
            let report = rebuilder.rebuild(projection, &mut bar).await;
            bar.0.finish_and_clear();
            report
        } else {
            rebuilder.rebuild(projection, &mut Lines::new(name)).await
        };
        let report = report.with_context(|| format!("Failed to rebuild {name}"))?;
        println!("{}", summary(&report));
    }
    Ok(())
}

fn summary(report: &RebuildReport) -> String {
    format!(
        "{}: rebuilt from {} events in {:.1?} ({} ev/s); switched over at position {}, holding writers back for {:.1?}",
        report.projection,
        report.events,
        report.elapsed,
        rate(report.events, report.elapsed),
        report.position,
        report.switch,
    )
}

fn rate(events: u64, elapsed: Duration) -> u64 {
    (events as f64 / elapsed.as_secs_f64().max(1e-3)) as u64
}

/// A rate as whole events per second, e.g. `8400 ev/s`.
fn whole_rate(per_second: f64) -> String {
    let whole = if per_second.is_finite() { per_second.max(0.0).round() as u64 } else { 0 };
    format!("{whole} ev/s")
}

/// A progress bar on a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new(name: &'static str) -> Self {
        // indicatif's own `{per_sec}` shows four fraction digits of a rate
        // that is only an estimate; whole events per second say as much.
        let style = ProgressStyle::with_template("{prefix}: [{bar:40}] {pos}/{len} events, {rate}, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&whole_rate(state.per_sec()));
            })
            .progress_chars("=> ");
        Bar(ProgressBar::new(0).with_style(style).with_prefix(name))
    }
}

impl RebuildProgress for Bar {
    fn advanced(&mut self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }
}

/// One line a second (and one at the start) when stderr is not a terminal:
/// `accounts: 12000/50000 events, 8400 ev/s, ETA 4s`.
struct Lines {
    name: &'static str,
    started: Instant,
    last: Option<Instant>,
}

impl Lines {
    fn new(name: &'static str) -> Self {
        Lines { name, started: Instant::now(), last: None }
    }
}

impl RebuildProgress for Lines {
    fn advanced(&mut self, done: u64, total: u64) {
        let now = Instant::now();
        if self.last.is_some_and(|last| now - last < LINE_EVERY) {
            return;
        }
        self.last = Some(now);
        let per_second = rate(done, now - self.started);
        let eta = total.saturating_sub(done).checked_div(per_second).map_or("?".to_owned(), |s| format!("{s}s"));
        eprintln!("{}: {done}/{total} events, {per_second} ev/s, ETA {eta}", self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_rates_are_whole_numbers() {
        assert_eq!(whole_rate(8423.6789), "8424 ev/s");
        assert_eq!(whole_rate(0.2), "0 ev/s");
        assert_eq!(whole_rate(f64::NAN), "0 ev/s");
        assert_eq!(rate(1000, Duration::from_millis(300)), 3333);
    }
}
