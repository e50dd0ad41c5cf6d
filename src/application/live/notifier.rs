use std::sync::Arc;

use async_trait::async_trait;

use super::LiveFeed;
use crate::application::EventHandler;
use crate::application::ports::RecordedEvent;

/// Wakes the live feed after every commit in this process.
pub struct FeedNotifier(pub Arc<LiveFeed>);

#[async_trait]
impl EventHandler for FeedNotifier {
    fn name(&self) -> &'static str {
        "live feed"
    }

    async fn handle(&self, _events: &[RecordedEvent]) -> anyhow::Result<()> {
        self.0.wake();
        Ok(())
    }
}
