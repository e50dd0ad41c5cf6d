//! Shared evaluation: subscribers whose operation, variables and visibility
//! are the same (many tabs of one customer, many admin dashboards, the same
//! `accountUpdated(id)`) are served by one running stream. Each result is
//! serialized once; every subscriber's connection queues it behind its own
//! envelope (`Frame::Shared`). Authorization is unchanged: the key includes
//! who the caller is for visibility, so a group only ever holds subscribers
//! who would each have received exactly these results alone, and a
//! connection that ends (a token that expires, a close) leaves its groups.
//!
//! Subscriptions that start from a position of their own run alone (see
//! `key`). A group stops when its last member leaves.

mod key;
mod member;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use async_graphql::Response;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::Notify;

pub use key::{ShareKey, share_key};
pub use member::Member;
use member::{Ending, Offer};

use super::outgoing;
use crate::application::live::LiveCursor;

type Groups = Mutex<HashMap<ShareKey, Arc<Group>>>;

/// The running shared evaluations of one server.
#[derive(Clone, Default)]
pub struct SharedSubscriptions(Arc<Groups>);

impl std::fmt::Debug for SharedSubscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSubscriptions").field("groups", &self.groups()).finish()
    }
}

impl SharedSubscriptions {
    /// Evaluations running now.
    pub fn groups(&self) -> usize {
        lock(&self.0).len()
    }

    /// Adds `member` to the evaluation of `key`, starting it with `start`
    /// (given the cursor its stream moves) when none runs. The member stays
    /// in it until the returned membership is dropped or the evaluation ends.
    pub fn join(
        &self,
        key: ShareKey,
        member: Arc<Member>,
        start: impl FnOnce(LiveCursor) -> BoxStream<'static, Response>,
    ) -> Membership {
        let mut groups = lock(&self.0);
        if let Some(group) = groups.get(&key)
            && let Some(number) = group.admit(&member)
        {
            return Membership { group: group.clone(), number };
        }
        let group = Arc::new(Group {
            registry: Arc::downgrade(&self.0),
            key: key.clone(),
            cursor: LiveCursor::default(),
            members: Mutex::new(Members { all: HashMap::new(), next: 0, closed: false }),
            emptied: Notify::new(),
        });
        let number = group.admit(&member).unwrap_or_default();
        groups.insert(key, group.clone());
        drop(groups);
        let stream = start(group.cursor.clone());
        tokio::spawn(group.clone().run(stream));
        Membership { group, number }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Group {
    registry: Weak<Groups>,
    key: ShareKey,
    cursor: LiveCursor,
    members: Mutex<Members>,
    /// Raised when the last member leaves.
    emptied: Notify,
}

struct Members {
    all: HashMap<u64, Arc<Member>>,
    next: u64,
    /// Ended: takes no one any more (a new group starts for the key).
    closed: bool,
}

/// A member's place in its group; leaving it (the operation stopped, the
/// connection closed) takes the member out.
pub struct Membership {
    group: Arc<Group>,
    number: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut members = lock(&self.group.members);
        if members.all.remove(&self.number).is_some() && members.all.is_empty() {
            self.group.emptied.notify_one();
        }
    }
}

impl Group {
    fn admit(&self, member: &Arc<Member>) -> Option<u64> {
        let mut members = lock(&self.members);
        if members.closed {
            return None;
        }
        let number = members.next;
        members.next += 1;
        member.joined_at(self.cursor.get());
        members.all.insert(number, member.clone());
        Some(number)
    }

    async fn run(self: Arc<Self>, mut stream: BoxStream<'static, Response>) {
        let mut first = true;
        loop {
            let response = tokio::select! {
                biased;
                () = self.emptied.notified() => {
                    if self.close_if_empty() {
                        return;
                    }
                    continue;
                }
                response = stream.next() => response,
            };
            let Some(response) = response else {
                self.end(&Ending::Completed);
                return;
            };
            if first && super::operations::refused(&response) {
                self.end(&Ending::Refused(outgoing::payload(&response.errors)));
                return;
            }
            first = false;
            self.broadcast(&outgoing::payload(&response));
        }
    }

    fn broadcast(&self, payload: &Arc<str>) {
        let position = self.cursor.get();
        let mut members = lock(&self.members);
        members.all.retain(|_, member| matches!(member.offer(payload, position), Offer::Taken));
        if members.all.is_empty() {
            self.emptied.notify_one();
        }
    }

    /// Stops taking members and leaves the registry, if no one is left.
    fn close_if_empty(&self) -> bool {
        let registry = self.registry.upgrade();
        let mut groups = registry.as_deref().map(lock);
        let mut members = lock(&self.members);
        if !members.all.is_empty() {
            return false;
        }
        members.closed = true;
        if let Some(groups) = groups.as_mut() {
            self.leave(groups);
        }
        true
    }

    /// The evaluation is over: no one joins it any more; every member gets `ending`.
    fn end(&self, ending: &Ending) {
        if let Some(registry) = self.registry.upgrade() {
            self.leave(&mut lock(&registry));
        }
        let mut members = lock(&self.members);
        members.closed = true;
        for (_, member) in members.all.drain() {
            member.end(ending.clone());
        }
    }

    fn leave(&self, groups: &mut HashMap<ShareKey, Arc<Group>>) {
        if groups.get(&self.key).is_some_and(|group| std::ptr::eq(Arc::as_ptr(group), self)) {
            groups.remove(&self.key);
        }
    }
}
