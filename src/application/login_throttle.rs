//! Brute-force protection for `login`: after a few failed attempts for a key,
//! each further attempt for that key waits an exponentially growing delay, and
//! a throttled attempt is refused before any password is checked.
//!
//! Three keys, because each stops a different attack:
//! - **(login, address)** — the strict one: one guesser at one login.
//! - **login** (any address) — a guesser spread over many addresses; looser,
//!   so that strangers cannot easily lock a real user out.
//! - **address** (any login) — one address spraying one password over many logins.
//!
//! Every delay is capped low ([`ThrottleRule::max_delay`], 60 s by default),
//! so what an attacker can inflict on a real user is a wait of at most a
//! minute between attempts, never a lock-out. And an address that has signed
//! in to a login before is *trusted* for it: only its own (login, address)
//! key applies, so a distributed attack on a login, or a noisy neighbour
//! behind the same address, does not lock its owner out at all.
//!
//! Keys are the login as login matching sees it (trimmed, lower-case) and the
//! address (IPv6 by its /64, since one host usually holds a whole /64; no
//! address at all is one shared key). Whether the login exists plays no part,
//! so throttling tells nothing about which logins exist.
//!
//! Memory is bounded: each table keeps at most [`ThrottlePolicy::max_keys`]
//! entries (least recently used go first), and a key stores a 64-bit keyed
//! hash, not the login, so a long login costs no more than a short one.
//!
//! Pure: every method takes `now`, so tests run on a fake clock.

use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;

/// When failures of one key start to cost time, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures allowed without any wait.
    pub free_failures: u32,
    /// The wait after the first failure beyond the free ones; it doubles with each further failure.
    pub first_delay: Duration,
    /// The longest wait ever asked for.
    pub max_delay: Duration,
}

impl ThrottleRule {
    /// How long after the latest failure the next attempt must wait, after `failures` of them.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(self.free_failures) else {
            return Duration::ZERO;
        };
        let doubling = 1u32.checked_shl(beyond).unwrap_or(u32::MAX);
        self.first_delay.saturating_mul(doubling).min(self.max_delay)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub per_login_and_address: ThrottleRule,
    pub per_login: ThrottleRule,
    pub per_address: ThrottleRule,
    /// A key with no failure for this long starts again from zero.
    pub forget_after: Duration,
    /// How long a successful sign-in from an address makes it trusted for that login.
    pub trust_for: Duration,
    /// Entries kept per table (there are four: the three keys and the trusted pairs).
    pub max_keys: usize,
}

impl Default for ThrottlePolicy {
    /// 5 free failures per (login, address), 20 per login, 50 per address;
    /// then 1 s, 2 s, 4 s, ... up to 60 s; forgotten after 15 quiet minutes;
    /// trust lasts 30 days; 20,000 entries per table (about 2 MiB each when full).
    fn default() -> Self {
        let rule = |free_failures| ThrottleRule {
            free_failures,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        };
        ThrottlePolicy {
            per_login_and_address: rule(5),
            per_login: rule(20),
            per_address: rule(50),
            forget_after: Duration::from_secs(15 * 60),
            trust_for: Duration::from_secs(30 * 24 * 3600),
            max_keys: 20_000,
        }
    }
}

/// An attempt refused before its password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: Duration,
}

impl Throttled {
    /// Whole seconds until the next attempt is allowed (rounded up, at least 1).
    pub fn retry_after_seconds(&self) -> u64 {
        u64::try_from(self.retry_after.as_millis().div_ceil(1000)).unwrap_or(u64::MAX).max(1)
    }
}

/// An admitted attempt. It already counts as a failure, so that neither
/// concurrent attempts nor a client hanging up mid-check escape the count;
/// a success or an attempt that could not be checked takes it back.
#[must_use = "tell the throttle how the attempt ended"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pair: u64,
    login: u64,
    address: u64,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    latest: Instant,
}

struct Tables {
    pairs: LruCache<u64, Failures>,
    logins: LruCache<u64, Failures>,
    addresses: LruCache<u64, Failures>,
    /// (login, address) pairs that signed in, with when.
    trusted: LruCache<u64, Instant>,
}

pub struct LoginThrottle {
    policy: ThrottlePolicy,
    /// Random keys per process, so nobody can aim at a hash collision.
    hasher: RandomState,
    tables: Mutex<Tables>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(ThrottlePolicy::default())
    }
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        LoginThrottle {
            policy,
            hasher: RandomState::new(),
            tables: Mutex::new(Tables {
                pairs: LruCache::unbounded(),
                logins: LruCache::unbounded(),
                addresses: LruCache::unbounded(),
                trusted: LruCache::unbounded(),
            }),
        }
    }

    /// Admits an attempt (counting it as a failure until told otherwise), or
    /// says how long to wait.
    pub fn admit(&self, login: &str, address: Option<IpAddr>, now: Instant) -> Result<Attempt, Throttled> {
        let attempt = self.attempt(login, address);
        let policy = &self.policy;
        let mut tables = self.lock();
        let trusted = tables
            .trusted
            .get(&attempt.pair)
            .is_some_and(|signed_in| now.saturating_duration_since(*signed_in) < policy.trust_for);
        let mut wait = wait_for(&mut tables.pairs, attempt.pair, &policy.per_login_and_address, policy, now);
        if !trusted {
            wait = wait.max(wait_for(&mut tables.logins, attempt.login, &policy.per_login, policy, now)).max(wait_for(
                &mut tables.addresses,
                attempt.address,
                &policy.per_address,
                policy,
                now,
            ));
        }
        if !wait.is_zero() {
            return Err(Throttled { retry_after: wait });
        }
        let max_keys = policy.max_keys;
        let pair_failures = count_failure(&mut tables.pairs, attempt.pair, now, max_keys);
        let login_failures = count_failure(&mut tables.logins, attempt.login, now, max_keys);
        let address_failures = count_failure(&mut tables.addresses, attempt.address, now, max_keys);
        // Once per key and burst, not per attempt, so a spray cannot flood the log.
        if pair_failures == policy.per_login_and_address.free_failures
            || login_failures == policy.per_login.free_failures
            || address_failures == policy.per_address.free_failures
        {
            tracing::info!(address = ?address, "failed logins: a throttle key now waits before each attempt");
        }
        Ok(attempt)
    }

    /// The password was right: this pair starts again from zero and is
    /// trusted; the attempt no longer counts against the login or the address.
    pub fn succeeded(&self, attempt: Attempt, now: Instant) {
        let max_keys = self.policy.max_keys;
        let mut tables = self.lock();
        tables.pairs.pop(&attempt.pair);
        take_back(&mut tables.logins, attempt.login);
        take_back(&mut tables.addresses, attempt.address);
        bounded_put(&mut tables.trusted, attempt.pair, now, max_keys);
    }

    /// The password was wrong. The attempt was counted when admitted; the
    /// wait runs from now, when the client learns of the failure, so that a
    /// slow check does not eat into it.
    pub fn failed(&self, attempt: Attempt, now: Instant) {
        let mut guard = self.lock();
        let tables = &mut *guard;
        for (table, key) in [
            (&mut tables.pairs, attempt.pair),
            (&mut tables.logins, attempt.login),
            (&mut tables.addresses, attempt.address),
        ] {
            if let Some(failures) = table.peek_mut(&key) {
                failures.latest = failures.latest.max(now);
            }
        }
    }

    /// The password could not be checked (the database failed): the attempt
    /// does not count.
    pub fn abandoned(&self, attempt: Attempt) {
        let mut tables = self.lock();
        take_back(&mut tables.pairs, attempt.pair);
        take_back(&mut tables.logins, attempt.login);
        take_back(&mut tables.addresses, attempt.address);
    }

    /// Entries held, per table (pairs, logins, addresses, trusted).
    pub fn sizes(&self) -> [usize; 4] {
        let tables = self.lock();
        [tables.pairs.len(), tables.logins.len(), tables.addresses.len(), tables.trusted.len()]
    }

    fn attempt(&self, login: &str, address: Option<IpAddr>) -> Attempt {
        let login = login.trim().to_lowercase();
        let address = address.map(address_key);
        Attempt {
            pair: self.hash(&("pair", login.as_str(), address)),
            login: self.hash(&("login", login.as_str())),
            address: self.hash(&("address", address)),
        }
    }

    fn hash(&self, key: &impl Hash) -> u64 {
        self.hasher.hash_one(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // The tables hold no invariant a panicking holder could break halfway.
        self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The part of an address one host controls: an IPv4 address, an IPv6 /64.
fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

/// The wait still due for `key`; a key quiet for `forget_after` is dropped.
fn wait_for(
    table: &mut LruCache<u64, Failures>,
    key: u64,
    rule: &ThrottleRule,
    policy: &ThrottlePolicy,
    now: Instant,
) -> Duration {
    let Some(failures) = table.get(&key).copied() else {
        return Duration::ZERO;
    };
    let quiet = now.saturating_duration_since(failures.latest);
    if quiet >= policy.forget_after {
        table.pop(&key);
        return Duration::ZERO;
    }
    rule.delay_after(failures.count).saturating_sub(quiet)
}

/// Counts one more failure for `key`; returns the new count.
fn count_failure(table: &mut LruCache<u64, Failures>, key: u64, now: Instant, max_keys: usize) -> u32 {
    if let Some(failures) = table.get_mut(&key) {
        failures.count = failures.count.saturating_add(1);
        failures.latest = now;
        return failures.count;
    }
    bounded_put(table, key, Failures { count: 1, latest: now }, max_keys);
    1
}

fn take_back(table: &mut LruCache<u64, Failures>, key: u64) {
    if let Some(failures) = table.peek_mut(&key) {
        failures.count = failures.count.saturating_sub(1);
        if failures.count == 0 {
            table.pop(&key);
        }
    }
}

/// Inserts, first dropping the least recently used entries beyond `max_keys`.
fn bounded_put<V>(table: &mut LruCache<u64, V>, key: u64, value: V, max_keys: usize) {
    if !table.contains(&key) {
        while table.len() >= max_keys.max(1) {
            table.pop_lru();
        }
    }
    table.put(key, value);
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    /// `times` failed attempts, all admitted.
    fn fail(throttle: &LoginThrottle, login: &str, address: Option<IpAddr>, times: u32, now: Instant) {
        for n in 0..times {
            let attempt = throttle
                .admit(login, address, now)
                .unwrap_or_else(|throttled| panic!("attempt {n} for {login} was refused: {throttled:?}"));
            throttle.failed(attempt, now);
        }
    }

    /// `times` failed attempts, each waiting out the delay it meets; returns the time after the last.
    fn fail_patiently(
        throttle: &LoginThrottle,
        login: &str,
        address: Option<IpAddr>,
        times: u32,
        now: Instant,
    ) -> Instant {
        let mut now = now;
        let mut failed = 0;
        while failed < times {
            match throttle.admit(login, address, now) {
                Ok(attempt) => {
                    throttle.failed(attempt, now);
                    failed += 1;
                }
                Err(throttled) => {
                    assert!(throttled.retry_after <= 60 * SECOND, "{throttled:?}");
                    now += throttled.retry_after;
                }
            }
        }
        now
    }

    fn wait(throttle: &LoginThrottle, login: &str, address: Option<IpAddr>, now: Instant) -> Option<Duration> {
        throttle.admit(login, address, now).err().map(|throttled| throttled.retry_after)
    }

    #[test]
    fn delays_double_after_the_free_failures_and_stop_at_the_cap() {
        let rule = ThrottlePolicy::default().per_login_and_address;
        let delays: Vec<u64> = (0..14).map(|failures| rule.delay_after(failures).as_secs()).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(rule.delay_after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn after_five_failures_each_attempt_waits_longer() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        fail(&throttle, "alice", ip(1), 5, t0);
        assert_eq!(wait(&throttle, "alice", ip(1), t0), Some(SECOND));
        assert_eq!(wait(&throttle, "alice", ip(1), t0 + SECOND / 2), Some(SECOND / 2), "refusals do not count");
        fail(&throttle, "alice", ip(1), 1, t0 + SECOND);
        assert_eq!(wait(&throttle, "alice", ip(1), t0 + SECOND), Some(2 * SECOND));
        fail(&throttle, "alice", ip(1), 1, t0 + 3 * SECOND);
        assert_eq!(wait(&throttle, "alice", ip(1), t0 + 3 * SECOND), Some(4 * SECOND));
    }

    #[test]
    fn the_wait_never_exceeds_a_minute() {
        let throttle = LoginThrottle::default();
        let now = fail_patiently(&throttle, "alice", ip(1), 40, Instant::now());
        assert_eq!(wait(&throttle, "alice", ip(1), now), Some(60 * SECOND));
    }

    #[test]
    fn the_login_is_keyed_as_login_matching_sees_it() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for login in ["alice", "ALICE", " Alice ", "aLiCe", "alice\t"] {
            fail(&throttle, login, ip(1), 1, t0);
        }
        assert_eq!(wait(&throttle, "Alice", ip(1), t0), Some(SECOND));
    }

    #[test]
    fn another_address_is_not_held_back_by_one_guesser() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let now = fail_patiently(&throttle, "alice", ip(1), 10, t0);
        assert_eq!(wait(&throttle, "alice", ip(1), now), Some(32 * SECOND));
        assert_eq!(wait(&throttle, "alice", ip(2), now), None);
        assert_eq!(wait(&throttle, "bob", ip(1), now), None);
    }

    #[test]
    fn a_login_guessed_from_many_addresses_is_throttled_everywhere_but_where_its_owner_signed_in() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let owner = throttle.admit("alice", ip(200), t0).unwrap();
        throttle.succeeded(owner, t0);
        for address in 0..20 {
            fail(&throttle, "alice", ip(address), 1, t0);
        }
        assert_eq!(wait(&throttle, "alice", ip(100), t0), Some(SECOND), "a new address waits");
        assert_eq!(wait(&throttle, "alice", ip(200), t0), None, "the owner's address does not");
        assert_eq!(wait(&throttle, "bob", ip(100), t0), None, "other logins do not");
    }

    #[test]
    fn trust_expires() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let owner = throttle.admit("alice", ip(200), t0).unwrap();
        throttle.succeeded(owner, t0);
        let later = t0 + ThrottlePolicy::default().trust_for;
        for address in 0..20 {
            fail(&throttle, "alice", ip(address), 1, later);
        }
        assert_eq!(wait(&throttle, "alice", ip(200), later), Some(SECOND));
    }

    #[test]
    fn one_address_spraying_many_logins_is_throttled_but_others_are_not() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for n in 0..50 {
            fail(&throttle, &format!("user{n}"), ip(1), 1, t0);
        }
        assert_eq!(wait(&throttle, "someone-else", ip(1), t0), Some(SECOND));
        assert_eq!(wait(&throttle, "someone-else", ip(2), t0), None);
    }

    #[test]
    fn a_success_resets_its_pair_and_takes_its_attempt_back() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        fail(&throttle, "alice", ip(1), 4, t0);
        let right = throttle.admit("alice", ip(1), t0).unwrap();
        throttle.succeeded(right, t0);
        fail(&throttle, "alice", ip(1), 5, t0);
        assert_eq!(wait(&throttle, "alice", ip(1), t0), Some(SECOND));
        // Sign-ins from one address (an office behind one NAT) never add up to a throttle.
        let throttle = LoginThrottle::default();
        for n in 0..200 {
            let attempt = throttle.admit(&format!("user{n}"), ip(1), t0).unwrap();
            throttle.succeeded(attempt, t0);
        }
        assert_eq!(wait(&throttle, "newcomer", ip(1), t0), None);
    }

    #[test]
    fn the_wait_runs_from_when_the_failure_is_known() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        fail(&throttle, "alice", ip(1), 4, t0);
        let slow = throttle.admit("alice", ip(1), t0).unwrap();
        throttle.failed(slow, t0 + 3 * SECOND);
        assert_eq!(wait(&throttle, "alice", ip(1), t0 + 3 * SECOND), Some(SECOND));
    }

    #[test]
    fn an_attempt_that_could_not_be_checked_does_not_count() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            let attempt = throttle.admit("alice", ip(1), t0).unwrap();
            throttle.abandoned(attempt);
        }
        assert_eq!(throttle.sizes(), [0, 0, 0, 0]);
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_quarter_hour() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let throttled = fail_patiently(&throttle, "alice", ip(1), 11, t0);
        assert_eq!(wait(&throttle, "alice", ip(1), throttled), Some(60 * SECOND));
        let later = throttled + Duration::from_secs(15 * 60);
        fail(&throttle, "alice", ip(1), 5, later);
        assert_eq!(wait(&throttle, "alice", ip(1), later), Some(SECOND));
    }

    #[test]
    fn a_missing_address_is_one_shared_key() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        fail(&throttle, "alice", None, 5, t0);
        assert_eq!(wait(&throttle, "alice", None, t0), Some(SECOND));
        assert_eq!(wait(&throttle, "alice", ip(1), t0), None);
    }

    #[test]
    fn ipv6_addresses_of_one_slash_64_share_a_key() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let host = |last: u16| Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, last)));
        for last in 0..5 {
            fail(&throttle, "alice", host(last), 1, t0);
        }
        assert_eq!(wait(&throttle, "alice", host(999), t0), Some(SECOND));
        let next_network = Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1)));
        assert_eq!(wait(&throttle, "alice", next_network, t0), None);
        let mapped = Some(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped()));
        fail(&throttle, "bob", ip(1), 5, t0);
        assert_eq!(wait(&throttle, "bob", mapped, t0), Some(SECOND));
    }

    #[test]
    fn a_spray_of_random_logins_from_many_addresses_stays_within_the_key_limit() {
        let throttle = LoginThrottle::new(ThrottlePolicy { max_keys: 100, ..ThrottlePolicy::default() });
        let t0 = Instant::now();
        let long_login = |n: u32| format!("random-{n}-{}", "x".repeat(1000));
        let address = |n: u32| Some(IpAddr::V4(Ipv4Addr::from(n)));
        for n in 0u32..10_000 {
            let attempt = throttle.admit(&long_login(n), address(n), t0).unwrap();
            throttle.failed(attempt, t0);
        }
        assert_eq!(throttle.sizes(), [100, 100, 100, 0]);
        // The most recent keys are the ones kept: the last one still has its failure.
        fail(&throttle, &long_login(9_999), address(9_999), 4, t0);
        assert_eq!(wait(&throttle, &long_login(9_999), address(9_999), t0), Some(SECOND));
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let seconds = |millis| Throttled { retry_after: Duration::from_millis(millis) }.retry_after_seconds();
        assert_eq!([seconds(1), seconds(999), seconds(1000), seconds(1001), seconds(60_000)], [1, 1, 1, 2, 60]);
    }
}
