//! An index from stream ids to the live subscriptions that follow them, so
//! that a committed event wakes only the subscriptions it concerns (and those
//! that follow every stream) instead of every subscription on the server.
//!
//! The index only decides whom to wake. A woken subscription still walks the
//! log in position order from where it was (`FeedStream`), keeping what its
//! interest covers; a subscription is never woken for nothing it could miss:
//! it registers every stream it follows before it reads the head it waits
//! beyond.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::Notify;
use uuid::Uuid;

use crate::application::ports::RecordedEvent;
use crate::domain::DomainEvent;
use crate::domain::account::AccountEvent;
use crate::domain::transfer::TransferEvent;

/// The streams a subscription follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    streams: HashSet<Uuid>,
    /// Does it come to follow the streams that events on its streams open
    /// (see `opened_through`)? A customer's view does; `accountUpdated` does not.
    widens: bool,
}

impl Interest {
    /// Exactly these streams.
    pub fn streams(streams: impl IntoIterator<Item = Uuid>) -> Self {
        Interest { streams: streams.into_iter().collect(), widens: false }
    }

    /// These streams, and every stream opened through one it follows.
    pub fn widening(streams: impl IntoIterator<Item = Uuid>) -> Self {
        Interest { streams: streams.into_iter().collect(), widens: true }
    }
}

/// The streams an event names besides its own, through which whoever follows
/// one of them comes to see the event's stream: the owner of an account
/// being opened, the two accounts of a transfer being requested.
pub fn opened_through(event: &RecordedEvent) -> Vec<Uuid> {
    if event.event_type == AccountEvent::ACCOUNT_OPENED
        && let Ok(AccountEvent::AccountOpened(opened)) =
            AccountEvent::from_stored(&event.event_type, event.schema_version, &event.data)
    {
        return vec![opened.owner_id];
    }
    if event.event_type == TransferEvent::TRANSFER_REQUESTED
        && let Ok(TransferEvent::TransferRequested(requested)) =
            TransferEvent::from_stored(&event.event_type, event.schema_version, &event.data)
    {
        return vec![requested.from_account_id, requested.to_account_id];
    }
    Vec::new()
}

/// The index of one feed.
#[derive(Default)]
pub(super) struct Routes {
    by_stream: Mutex<HashMap<Uuid, HashMap<u64, Weak<RouteState>>>>,
    next: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Routes {
    pub(super) fn register(self: &Arc<Self>, interest: Interest) -> Route {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(RouteState {
            wake: Notify::new(),
            streams: Mutex::new(HashSet::new()),
            widens: interest.widens,
            wakes: AtomicU64::new(0),
        });
        let route = Route { routes: Arc::downgrade(self), id, state };
        for stream in interest.streams {
            route.follow(stream);
        }
        route
    }

    /// Wakes the subscriptions that follow any stream `events` concern.
    pub(super) fn wake_for(&self, events: &[RecordedEvent]) {
        let by_stream = lock(&self.by_stream);
        if by_stream.is_empty() {
            return;
        }
        let mut wake = |stream: &Uuid| {
            for route in by_stream.get(stream).into_iter().flat_map(HashMap::values) {
                if let Some(route) = route.upgrade() {
                    route.wakes.fetch_add(1, Ordering::Relaxed);
                    route.wake.notify_one();
                }
            }
        };
        for event in events {
            wake(&event.stream_id);
            opened_through(event).iter().for_each(&mut wake);
        }
    }

    /// Subscriptions registered now, for the metrics and the tests.
    pub(super) fn followed_streams(&self) -> usize {
        lock(&self.by_stream).len()
    }
}

struct RouteState {
    wake: Notify,
    streams: Mutex<HashSet<Uuid>>,
    widens: bool,
    /// Times the index has woken it.
    wakes: AtomicU64,
}

/// One subscription's place in the index; dropping it takes it out.
pub struct Route {
    routes: Weak<Routes>,
    id: u64,
    state: Arc<RouteState>,
}

impl Route {
    /// Waits until an event on a followed stream may have been committed.
    pub(super) async fn woken(&self) {
        self.state.wake.notified().await;
    }

    /// Does the subscription follow `event`? If the event opens a stream
    /// through one it follows and the interest widens, it follows that
    /// stream from now on (registered before the caller reads on).
    pub(super) fn covers(&self, event: &RecordedEvent) -> bool {
        if lock(&self.state.streams).contains(&event.stream_id) {
            return true;
        }
        if !self.state.widens {
            return false;
        }
        let opened = {
            let streams = lock(&self.state.streams);
            opened_through(event).iter().any(|named| streams.contains(named))
        };
        if opened {
            self.follow(event.stream_id);
        }
        opened
    }

    /// The streams it follows, when it follows no more than these and
    /// nothing they open: what a read of the store may be narrowed to.
    pub(super) fn fixed_streams(&self) -> Option<Vec<Uuid>> {
        (!self.state.widens).then(|| lock(&self.state.streams).iter().copied().collect())
    }

    /// Times the index has woken this subscription.
    pub fn wakes(&self) -> u64 {
        self.state.wakes.load(Ordering::Relaxed)
    }

    fn follow(&self, stream: Uuid) {
        let Some(routes) = self.routes.upgrade() else { return };
        // The index first: an event committed from here on wakes the route.
        lock(&routes.by_stream).entry(stream).or_default().insert(self.id, Arc::downgrade(&self.state));
        lock(&self.state.streams).insert(stream);
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        let Some(routes) = self.routes.upgrade() else { return };
        let mut by_stream = lock(&routes.by_stream);
        for stream in lock(&self.state.streams).iter() {
            if let Some(routes) = by_stream.get_mut(stream) {
                routes.remove(&self.id);
                if routes.is_empty() {
                    by_stream.remove(stream);
                }
            }
        }
    }
}
