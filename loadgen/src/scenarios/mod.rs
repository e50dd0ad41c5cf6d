//! One module per kind of scenario; each returns its summary.

pub mod catch_up;
mod connect;
mod fleet;
pub mod http;
pub mod idle;
pub mod nested;
mod paced;
pub mod relay_backlog;
pub mod relay_latency;
mod server_cost;
pub mod subscribe;
pub mod tabs;

use crate::cli::Common;
use crate::client::Gql;
use crate::runner::Plan;

/// What every scenario gets.
pub struct Ctx {
    pub common: Common,
    /// Not signed in; the scenario registers its own customer.
    pub anonymous: Gql,
}

impl Ctx {
    pub fn plan(&self) -> Plan {
        Plan {
            clients: self.common.clients,
            duration: self.common.duration,
            count: self.common.count,
            quiet: self.common.quiet,
        }
    }

    pub fn say(&self, line: impl AsRef<str>) {
        if !self.common.quiet {
            eprintln!("{}", line.as_ref());
        }
    }
}

/// A scenario the server cannot run yet (exit code 3, not a crash).
#[derive(Debug)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}
