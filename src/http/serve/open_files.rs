//! Every socket is a file descriptor: the process's soft limit on open files
//! (often 1,024) would refuse connections long before the connection limits
//! do, so it is raised to the hard limit at start.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// The soft limit on open files after raising it as far as allowed
/// (`None`: unlimited, or unknown on this platform).
pub fn raise_to_hard_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return limit.current;
    }
    // Linux refuses an unlimited soft limit for files; keep the old one then.
    let Some(hard) = limit.maximum else {
        return limit.current;
    };
    match setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum: Some(hard) }) {
        Ok(()) => Some(hard),
        Err(error) => {
            tracing::warn!(%error, soft = ?limit.current, hard, "cannot raise the open files limit");
            limit.current
        }
    }
}
