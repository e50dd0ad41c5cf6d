//! The server's resident memory, from /proc/PID/status.

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Memory {
    /// VmRSS, bytes.
    pub rss_bytes: u64,
    /// VmHWM (peak RSS), bytes.
    pub peak_rss_bytes: u64,
}

pub fn read(pid: u32) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse(&status).with_context(|| format!("no VmRSS/VmHWM in {path}"))
}

fn parse(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some(Memory { rss_bytes: field("VmRSS:")?, peak_rss_bytes: field("VmHWM:")? })
}

/// RSS once it stops moving: sampled every 250 ms until it changed by less
/// than 64 KiB over 2 s, or 30 s passed.
pub async fn settled(pid: u32) -> anyhow::Result<u64> {
    const QUIET: u64 = 64 * 1024;
    let mut window = vec![read(pid)?.rss_bytes];
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        window.push(read(pid)?.rss_bytes);
        if window.len() > 8 {
            window.remove(0);
            let (low, high) = (window.iter().min(), window.iter().max());
            if let (Some(low), Some(high)) = (low, high)
                && high - low < QUIET
            {
                return Ok(*window.last().unwrap_or(high));
            }
        }
    }
    Ok(read(pid)?.rss_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        let status = "Name:\tminibank\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        let memory = parse(status).unwrap();
        assert_eq!(memory.rss_bytes, 1024 * 1024);
        assert_eq!(memory.peak_rss_bytes, 2048 * 1024);
    }

    #[test]
    fn our_own_process_has_memory() {
        assert!(read(std::process::id()).unwrap().rss_bytes > 0);
    }
}
