//! An index from stream ids, event types and stream types to the live
//! subscriptions that follow them, so that a committed event wakes only the
//! subscriptions it concerns (and those that follow everything) instead of
//! every subscription on the server.
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

use crate::application::ports::{EventFilter, RecordedEvent};
use crate::domain::account::AccountEvent;
use crate::domain::transfer::TransferEvent;
use crate::domain::{DomainEvent, StreamType};

/// What a subscription follows: some streams, or the events of some types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    streams: HashSet<Uuid>,
    /// Does it come to follow the streams that events on its streams open
    /// (see `opened_through`)? A customer's view does; `accountUpdated` does not.
    widens: bool,
    kinds: Option<Kinds>,
}

/// Events of these types (each list `None`: any).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kinds {
    event_types: Option<HashSet<String>>,
    stream_types: Option<HashSet<StreamType>>,
}

impl Kinds {
    fn cover(&self, event: &RecordedEvent) -> bool {
        self.event_types.as_ref().is_none_or(|types| types.contains(&event.event_type))
            && self.stream_types.as_ref().is_none_or(|types| types.contains(&event.stream_type))
    }
}

impl Interest {
    /// Exactly these streams.
    pub fn streams(streams: impl IntoIterator<Item = Uuid>) -> Self {
        Interest { streams: streams.into_iter().collect(), widens: false, kinds: None }
    }

    /// These streams, and every stream opened through one it follows.
    pub fn widening(streams: impl IntoIterator<Item = Uuid>) -> Self {
        Interest { streams: streams.into_iter().collect(), widens: true, kinds: None }
    }

    /// What `filter` keeps, when it keeps less than everything: its streams,
    /// else its event and stream types.
    pub fn of_filter(filter: &EventFilter) -> Option<Self> {
        if let Some(streams) = &filter.stream_ids {
            return Some(Self::streams(streams.iter().copied()));
        }
        if filter.event_types.is_none() && filter.stream_types.is_none() {
            return None;
        }
        let kinds = Kinds {
            event_types: filter.event_types.as_ref().map(|types| types.iter().cloned().collect()),
            stream_types: filter.stream_types.as_ref().map(|types| types.iter().copied().collect()),
        };
        Some(Interest { streams: HashSet::new(), widens: false, kinds: Some(kinds) })
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

type Followers = HashMap<u64, Weak<RouteState>>;

/// The index of one feed.
#[derive(Default)]
pub(super) struct Routes {
    by_stream: Mutex<HashMap<Uuid, Followers>>,
    /// Routes that follow kinds of events, under the event types they name,
    /// else under their stream types.
    by_event_type: Mutex<HashMap<String, Followers>>,
    by_stream_type: Mutex<HashMap<StreamType, Followers>>,
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
            kinds: interest.kinds,
            wakes: AtomicU64::new(0),
        });
        let route = Route { routes: Arc::downgrade(self), id, state };
        if let Some(kinds) = &route.state.kinds {
            let follower = Arc::downgrade(&route.state);
            match (&kinds.event_types, &kinds.stream_types) {
                (Some(types), _) => {
                    let mut by_type = lock(&self.by_event_type);
                    for event_type in types {
                        by_type.entry(event_type.clone()).or_default().insert(id, follower.clone());
                    }
                }
                (None, Some(types)) => {
                    let mut by_type = lock(&self.by_stream_type);
                    for stream_type in types {
                        by_type.entry(*stream_type).or_default().insert(id, follower.clone());
                    }
                }
                (None, None) => {}
            }
        }
        for stream in interest.streams {
            route.follow(stream);
        }
        route
    }

    /// Wakes the subscriptions that follow any stream or kind `events` concern.
    pub(super) fn wake_for(&self, events: &[RecordedEvent]) {
        let by_stream = lock(&self.by_stream);
        let by_event_type = lock(&self.by_event_type);
        let by_stream_type = lock(&self.by_stream_type);
        if by_stream.is_empty() && by_event_type.is_empty() && by_stream_type.is_empty() {
            return;
        }
        for event in events {
            wake(by_stream.get(&event.stream_id));
            if !by_stream.is_empty() {
                opened_through(event).iter().for_each(|stream| wake(by_stream.get(stream)));
            }
            wake(by_event_type.get(&event.event_type));
            wake(by_stream_type.get(&event.stream_type));
        }
    }

    /// Streams that at least one route follows, for the metrics and the tests.
    pub(super) fn followed_streams(&self) -> usize {
        lock(&self.by_stream).len()
    }
}

fn wake(followers: Option<&Followers>) {
    for route in followers.into_iter().flat_map(HashMap::values) {
        if let Some(route) = route.upgrade() {
            route.wakes.fetch_add(1, Ordering::Relaxed);
            route.wake.notify_one();
        }
    }
}

struct RouteState {
    wake: Notify,
    streams: Mutex<HashSet<Uuid>>,
    widens: bool,
    kinds: Option<Kinds>,
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
        if let Some(kinds) = &self.state.kinds {
            return kinds.cover(event);
        }
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

    /// What a read of the store may be narrowed to: the streams it follows
    /// when they open no others, or the kinds it follows.
    pub(super) fn narrowed(&self) -> EventFilter {
        if let Some(kinds) = &self.state.kinds {
            return EventFilter {
                stream_ids: None,
                event_types: kinds.event_types.as_ref().map(|types| types.iter().cloned().collect()),
                stream_types: kinds.stream_types.as_ref().map(|types| types.iter().copied().collect()),
            };
        }
        if self.state.widens {
            return EventFilter::default();
        }
        EventFilter { stream_ids: Some(lock(&self.state.streams).iter().copied().collect()), ..Default::default() }
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
        let streams = lock(&self.state.streams);
        leave(&mut lock(&routes.by_stream), streams.iter(), self.id);
        if let Some(kinds) = &self.state.kinds {
            leave(&mut lock(&routes.by_event_type), kinds.event_types.iter().flatten(), self.id);
            leave(&mut lock(&routes.by_stream_type), kinds.stream_types.iter().flatten(), self.id);
        }
    }
}

/// Takes route `id` out from under each of `keys`.
fn leave<'a, K: std::hash::Hash + Eq + 'a>(
    index: &mut HashMap<K, Followers>,
    keys: impl Iterator<Item = &'a K>,
    id: u64,
) {
    for key in keys {
        if let Some(followers) = index.get_mut(key) {
            followers.remove(&id);
            if followers.is_empty() {
                index.remove(key);
            }
        }
    }
}
