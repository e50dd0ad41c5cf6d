//! Query root fields resolve concurrently; a request with many of them (each
//! a replay or a list with nested lookups) could otherwise hold every pooled
//! database connection and make other callers' requests time out. Each
//! request runs at most `MAX_CONCURRENT_ROOT_FIELDS` of them at a time.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ServerResult, Value};
use tokio::sync::Semaphore;

/// A quarter of the default pool (16 connections).
pub const MAX_CONCURRENT_ROOT_FIELDS: usize = 4;

pub struct RootFieldConcurrency;

impl ExtensionFactory for RootFieldConcurrency {
    /// Called once per request: the semaphore is the request's own.
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Limiter(Semaphore::new(MAX_CONCURRENT_ROOT_FIELDS)))
    }
}

struct Limiter(Semaphore);

#[async_trait::async_trait]
impl Extension for Limiter {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        // The semaphore is never closed, so acquiring cannot fail.
        let _permit = self.0.acquire().await.ok();
        next.run(ctx, info).await
    }
}
