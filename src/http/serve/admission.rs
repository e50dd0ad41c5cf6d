//! Who may open another connection: at most so many in all and so many per
//! peer address. A connection holds its `Slot` for as long as its socket is
//! open (through a websocket upgrade too), so the counts are of sockets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Refused connections answered at the same time; beyond this a refused
/// connection is closed without an answer, so that a flood of refusals
/// costs no more than this many sockets.
const MAX_REFUSING: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub total: usize,
    pub per_peer: usize,
}

/// The open connections, counted in all and per peer address.
pub struct Admission {
    limits: Limits,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
    refusing: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This peer has `per_peer` connections open.
    PeerLimit,
    /// `total` connections are open.
    TotalLimit,
}

pub enum Decision {
    Admitted(Slot),
    /// Answer the refusal (holding the ticket while doing so).
    Refused(Refusal, RefusalTicket),
    /// Too many refusals are being answered already: just close.
    Dropped,
}

impl Admission {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self { limits, counts: Mutex::default() })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Decision {
        let peer = canonical(peer);
        let mut counts = self.counts();
        let from_peer = counts.per_peer.get(&peer).copied().unwrap_or(0);
        let refusal = if from_peer >= self.limits.per_peer {
            Refusal::PeerLimit
        } else if counts.total >= self.limits.total {
            Refusal::TotalLimit
        } else {
            counts.total += 1;
            counts.per_peer.insert(peer, from_peer + 1);
            return Decision::Admitted(Slot { admission: self.clone(), peer });
        };
        if counts.refusing >= MAX_REFUSING {
            return Decision::Dropped;
        }
        counts.refusing += 1;
        Decision::Refused(refusal, RefusalTicket { admission: self.clone() })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts().total
    }

    /// The counts stay consistent even if a holder panicked: every change
    /// is a single step.
    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An IPv4 peer reaching a dual-stack socket counts as itself.
fn canonical(peer: IpAddr) -> IpAddr {
    peer.to_canonical()
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    admission: Arc<Admission>,
    peer: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.admission.counts();
        counts.total -= 1;
        if let Some(from_peer) = counts.per_peer.get_mut(&self.peer) {
            *from_peer -= 1;
            if *from_peer == 0 {
                counts.per_peer.remove(&self.peer);
            }
        }
    }
}

/// One refusal being answered.
pub struct RefusalTicket {
    admission: Arc<Admission>,
}

impl Drop for RefusalTicket {
    fn drop(&mut self) {
        self.admission.counts().refusing -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    fn slot(decision: Decision) -> Slot {
        match decision {
            Decision::Admitted(slot) => slot,
            _ => panic!("refused"),
        }
    }

    fn refusal(decision: Decision) -> Option<Refusal> {
        match decision {
            Decision::Refused(refusal, _) => Some(refusal),
            _ => None,
        }
    }

    #[test]
    fn a_peer_over_its_limit_is_refused_until_one_of_its_connections_closes() {
        let admission = Admission::new(Limits { total: 10, per_peer: 2 });
        let first = slot(admission.admit(A));
        let _second = slot(admission.admit(A));
        assert_eq!(refusal(admission.admit(A)), Some(Refusal::PeerLimit));
        let _other = slot(admission.admit(B));
        drop(first);
        let _third = slot(admission.admit(A));
        assert_eq!(admission.open(), 3);
    }

    #[test]
    fn the_total_limit_applies_to_every_peer() {
        let admission = Admission::new(Limits { total: 2, per_peer: 2 });
        let _a = slot(admission.admit(A));
        let b = slot(admission.admit(B));
        assert_eq!(refusal(admission.admit(B)), Some(Refusal::TotalLimit));
        drop(b);
        let _b = slot(admission.admit(B));
    }

    #[test]
    fn mapped_ipv4_addresses_count_as_the_address() {
        let admission = Admission::new(Limits { total: 10, per_peer: 1 });
        let _a = slot(admission.admit(A));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(refusal(admission.admit(mapped)), Some(Refusal::PeerLimit));
    }

    #[test]
    fn refusals_answered_at_once_are_bounded() {
        let admission = Admission::new(Limits { total: 0, per_peer: 0 });
        let tickets: Vec<_> = (0..MAX_REFUSING).map(|_| admission.admit(A)).collect();
        assert!(tickets.iter().all(|t| matches!(t, Decision::Refused(..))));
        assert!(matches!(admission.admit(A), Decision::Dropped));
        drop(tickets);
        assert!(matches!(admission.admit(A), Decision::Refused(..)));
    }
}
