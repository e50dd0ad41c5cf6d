//! Progress while a phase runs: a bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the phase is heading for.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    Time(Duration),
    Count(u64),
}

pub struct Progress {
    done: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    ticker: JoinHandle<()>,
}

impl Progress {
    /// Starts reporting `label`; hidden when `quiet`.
    pub fn start(label: &str, goal: Goal, quiet: bool) -> Progress {
        let done = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = watch::channel(false);
        let ticker = if quiet {
            tokio::spawn(async {})
        } else if std::io::stderr().is_terminal() {
            tokio::spawn(bar(label.to_owned(), goal, done.clone(), stopped))
        } else {
            tokio::spawn(lines(label.to_owned(), done.clone(), stopped))
        };
        Progress { done, stop, ticker }
    }

    /// Operations completed so far; the phase adds to it.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.done.clone()
    }

    pub async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.ticker.await;
    }
}

async fn bar(label: String, goal: Goal, done: Arc<AtomicU64>, mut stopped: watch::Receiver<bool>) {
    let (length, template) = match goal {
        Goal::Time(duration) => {
            (u64::try_from(duration.as_millis()).unwrap_or(u64::MAX), "{prefix} [{bar:30}] {elapsed_precise} {msg}")
        }
        Goal::Count(count) => (count, "{prefix} [{bar:30}] {pos}/{len} {msg}"),
    };
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label);
    let started = Instant::now();
    loop {
        let n = done.load(Ordering::Relaxed);
        let elapsed = started.elapsed();
        match goal {
            Goal::Time(_) => bar.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(0)),
            Goal::Count(_) => bar.set_position(n),
        }
        bar.set_message(format!("{n} ops, {:.0}/s", rate(n, elapsed)));
        if wait(&mut stopped, Duration::from_millis(200)).await {
            break;
        }
    }
    bar.finish_and_clear();
}

async fn lines(label: String, done: Arc<AtomicU64>, mut stopped: watch::Receiver<bool>) {
    let started = Instant::now();
    while !wait(&mut stopped, Duration::from_secs(1)).await {
        let n = done.load(Ordering::Relaxed);
        let elapsed = started.elapsed();
        eprintln!("{label}: {:>5.1}s {n} ops, {:.0}/s", elapsed.as_secs_f64(), rate(n, elapsed));
    }
}

/// Waits up to `period`; tells whether the phase is over.
async fn wait(stopped: &mut watch::Receiver<bool>, period: Duration) -> bool {
    let _ = tokio::time::timeout(period, stopped.changed()).await;
    *stopped.borrow()
}

fn rate(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}
