//! Live events: committed events, read from the store by position, delivered
//! to subscribers in order with no gap and no duplicate.
//!
//! One reader task follows the log into a bounded in-memory buffer; an
//! in-process notification (and, between instances, a database notification)
//! only says "there is more". Subscribers pull: from the buffer while they
//! are within it, from the store when they are behind it. So a slow
//! subscriber never blocks a command or another subscriber, memory stays
//! bounded, and a lost notification delays an event but never loses it.
//! A subscriber that follows some streams or kinds of events is woken only
//! by commits on them (`routes`), not by every commit.

mod account_updates;
mod coalesced;
mod cursor;
mod feed;
mod notifier;
mod routes;
mod subscriber;
mod visibility;

pub use account_updates::{UpdateError, account_updates};
pub use coalesced::CoalescedSignal;
pub use cursor::LiveCursor;
pub use feed::{FeedConfig, LiveFeed};
pub use notifier::FeedNotifier;
pub use routes::{Interest, Route, opened_through};
pub use subscriber::{FeedStream, SubscriptionEnded};
pub use visibility::Visibility;
