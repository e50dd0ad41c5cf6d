//! Telling other instances that the log grew, at most once at a time: an
//! event handler that only raises a flag (so a slow or absent transport
//! never holds up a command), and a task that sends once per raised flag, so
//! the commits that happen while one send runs share the next.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::application::EventHandler;
use crate::application::ports::RecordedEvent;

pub struct CoalescedSignal {
    name: &'static str,
    raised: Arc<Notify>,
}

impl CoalescedSignal {
    /// Runs `send` after commits, never two at once, for as long as the
    /// signal lives.
    pub fn spawn<F, Fut>(name: &'static str, send: F) -> Self
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let raised = Arc::new(Notify::new());
        let flag = Arc::downgrade(&raised);
        tokio::spawn(async move {
            loop {
                let Some(raised) = flag.upgrade() else { return };
                raised.notified().await;
                drop(raised);
                send().await;
            }
        });
        CoalescedSignal { name, raised }
    }
}

#[async_trait]
impl EventHandler for CoalescedSignal {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn handle(&self, _events: &[RecordedEvent]) -> anyhow::Result<()> {
        self.raised.notify_one();
        Ok(())
    }
}
