//! CPU time spent by the server and by the local PostgreSQL while a run
//! lasts, from /proc: steadier than throughput on a shared machine, and what
//! an optimisation of the write path changes first.

use std::collections::HashMap;
use std::fs;

use serde::Serialize;

/// What /proc counts `utime` and `stime` in (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// Which processes to watch.
#[derive(Debug, Clone, Default)]
pub struct Watched {
    pub server_pid: Option<u32>,
    /// The PostgreSQL database the server uses, when it is on this machine:
    /// its backends are the processes titled `postgres: … <database> …`.
    pub postgres_database: Option<String>,
}

/// CPU ticks per process at one instant.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    server: Option<u64>,
    backends: HashMap<u32, u64>,
    postgres: HashMap<u32, u64>,
}

/// CPU seconds spent between two samples.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Spent {
    pub server_s: Option<f64>,
    /// The backends serving the database.
    pub database_backends_s: Option<f64>,
    /// Every PostgreSQL process (backends of any database, the WAL writer,
    /// the checkpointer, ...).
    pub postgres_all_s: Option<f64>,
}

impl Watched {
    pub fn sample(&self) -> Sample {
        let server = self.server_pid.and_then(ticks);
        let (mut backends, mut postgres) = (HashMap::new(), HashMap::new());
        if let Some(database) = &self.postgres_database {
            for (pid, title) in postgres_processes() {
                let Some(spent) = ticks(pid) else { continue };
                if title.split_whitespace().any(|word| word == database) {
                    backends.insert(pid, spent);
                }
                postgres.insert(pid, spent);
            }
        }
        Sample { server, backends, postgres }
    }

    /// What was spent since `before`. A process that started meanwhile
    /// counts from zero; one that ended is lost (pooled connections stay).
    pub fn spent_since(&self, before: &Sample) -> Spent {
        let now = self.sample();
        let delta = |now: &HashMap<u32, u64>, before: &HashMap<u32, u64>| {
            let ticks: u64 = now.iter().map(|(pid, t)| t.saturating_sub(*before.get(pid).unwrap_or(&0))).sum();
            ticks as f64 / TICKS_PER_SECOND
        };
        let database = self.postgres_database.is_some();
        Spent {
            server_s: now.server.zip(before.server).map(|(n, b)| n.saturating_sub(b) as f64 / TICKS_PER_SECOND),
            database_backends_s: database.then(|| delta(&now.backends, &before.backends)),
            postgres_all_s: database.then(|| delta(&now.postgres, &before.postgres)),
        }
    }
}

/// `utime + stime` of a process, in ticks.
fn ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count from the ')' after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15; the slice starts at field 3.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// `(pid, process title)` of every process whose title starts with `postgres`.
fn postgres_processes() -> Vec<(u32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let title = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let title = String::from_utf8_lossy(&title).replace('\0', " ");
            title.starts_with("postgres").then_some((pid, title))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_cpu_time_is_read_and_grows() {
        let watched = Watched { server_pid: Some(std::process::id()), postgres_database: None };
        let before = watched.sample();
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed().as_millis() < 150 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let spent = watched.spent_since(&before);
        assert!(spent.server_s.unwrap() > 0.05, "{spent:?}");
        assert!(spent.database_backends_s.is_none());
    }
}
