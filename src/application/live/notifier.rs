use std::sync::Arc;

use async_trait::async_trait;

use super::LiveFeed;
use crate::application::EventHandler;
use crate::application::ports::RecordedEvent;

/// Wakes the live feed after a commit in this process that it does not hold
/// yet (a store that hands the feed its commits leaves nothing to do here).
pub struct FeedNotifier(pub Arc<LiveFeed>);

#[async_trait]
impl EventHandler for FeedNotifier {
    fn name(&self) -> &'static str {
        "live feed"
    }

    async fn handle(&self, events: &[RecordedEvent]) -> anyhow::Result<()> {
        if events.last().is_some_and(|last| last.position > self.0.head()) {
            self.0.wake();
        }
        Ok(())
    }
}
