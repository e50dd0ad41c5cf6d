//! Blue/green rebuilds: a projection is built again from the whole log into
//! shadow tables while the service keeps serving and committing, then the
//! shadows replace the live tables in one transaction once they have caught up.
//!
//! 1. **Shadow.** Fresh `<table>__rebuild` tables with the live tables'
//!    definition (leftovers of an aborted rebuild are dropped first).
//! 2. **Catch-up.** The log in batches, one transaction per batch, applied by
//!    the same projection code as the live commits, into the shadows; the
//!    progress is kept as checkpoint `<name>__rebuild`. On SQLite, where a
//!    batch holds the only write lock, the rebuild then pauses as long.
//! 3. **Switch.** One transaction that first stops appends (see
//!    `event_store::stop_appends`: on PostgreSQL the lock appends hold until
//!    they have committed, so taking it waits for those in flight; on SQLite
//!    the write lock, taken by `BEGIN IMMEDIATE`), so no event can appear
//!    behind it; applies the
//!    last events to the shadows; swaps the tables; and drops the shadows'
//!    checkpoints. DDL is transactional on both backends: readers see the old
//!    tables or the new ones, never a mix, and a failed switch changes nothing.

mod shadow;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait};

use super::{Projection, Target, project};
use crate::application::ports::RecordedEvent;
use crate::infrastructure::database::Dialect;
use crate::infrastructure::entities::{event, projection_checkpoint};
use crate::infrastructure::event_store::{read_log, stop_appends};

/// How often a switch that could not get its locks in time is tried again.
const SWITCH_ATTEMPTS: u32 = 5;

/// How long a switch on PostgreSQL waits for a table lock (readers hold one
/// for the length of a query) before it gives up and tries again: waiting
/// longer would queue every reader behind it.
const SWITCH_LOCK_TIMEOUT: &str = "2s";

/// Told after every batch how far a rebuild has got.
pub trait RebuildProgress {
    /// `done` events applied of about `total` (the log grows meanwhile).
    fn advanced(&mut self, done: u64, total: u64);
}

/// What one rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    pub projection: &'static str,
    /// Events read from the log and applied to the shadow tables.
    pub events: u64,
    /// The position the swapped-in tables are built to (the head at the switch).
    pub position: i64,
    pub elapsed: Duration,
    /// How long the switch held writers back.
    pub switch: Duration,
}

/// Rebuilds projections on one database.
pub struct Rebuilder {
    db: DatabaseConnection,
    batch: u64,
}

impl Rebuilder {
    /// `batch`: events per catch-up transaction. On SQLite each batch holds
    /// the only write lock, and the rebuild then pauses as long, so commands
    /// wait about one batch at most.
    pub fn new(db: DatabaseConnection, batch: u64) -> Self {
        Rebuilder { db, batch: batch.max(1) }
    }

    #[tracing::instrument(name = "rebuilding a projection", skip_all, fields(projection = projection.name()))]
    pub async fn rebuild(
        &self,
        projection: Arc<dyn Projection>,
        progress: &mut dyn RebuildProgress,
    ) -> anyhow::Result<RebuildReport> {
        let started = Instant::now();
        let (built, switch) = match self.build_and_switch(&projection, progress).await {
            Ok(done) => done,
            Err(error) => {
                self.abandon(projection.as_ref()).await;
                return Err(error);
            }
        };
        shadow::analyze(&self.db, projection.tables()).await;
        Ok(RebuildReport {
            projection: projection.name(),
            events: built.events,
            position: built.position,
            elapsed: started.elapsed(),
            switch,
        })
    }

    /// Shadow, catch-up and switch; how far the swapped-in tables are built
    /// and how long the switch took.
    async fn build_and_switch(
        &self,
        projection: &Arc<dyn Projection>,
        progress: &mut dyn RebuildProgress,
    ) -> anyhow::Result<(Built, Duration)> {
        let name = projection.name();
        let total = event::Entity::find().count(&self.db).await.context("cannot count the events")?;
        progress.advanced(0, total);
        let txn = Dialect::of(&self.db).begin_write(&self.db).await?;
        shadow::create(&txn, projection.tables()).await?;
        forget_checkpoint(&txn, &Target::Shadow.checkpoint(name)).await?;
        txn.commit().await.context("cannot create the shadow tables")?;

        let projections = [projection.clone()];
        let mut built = Built { position: 0, events: 0 };
        loop {
            let events = read_log(&self.db, built.position, self.batch).await?;
            if (events.len() as u64) < self.batch {
                break; // close to the head: the switch does the rest
            }
            let batch_started = Instant::now();
            let txn = Dialect::of(&self.db).begin_write(&self.db).await?;
            project(&txn, &projections, Target::Shadow, &events).await?;
            txn.commit().await.context("cannot commit a rebuild batch")?;
            built.add(&events);
            progress.advanced(built.events, total.max(built.events));
            if Dialect::of(&self.db) == Dialect::Sqlite {
                // SQLite has one writer, and a waiting one polls (up to every
                // 100 ms): without a pause, the rebuild would take the lock
                // back before the server's commits get it.
                tokio::time::sleep(batch_started.elapsed()).await;
            }
        }

        let switch_started = Instant::now();
        let mut attempt = 0;
        let built = loop {
            attempt += 1;
            match self.switch(&projections, built).await {
                Ok(switched) => break switched,
                Err(error) if attempt < SWITCH_ATTEMPTS => {
                    tracing::warn!(error = format!("{error:#}"), attempt, "switch failed; trying again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => return Err(error.context(format!("cannot switch {name} over"))),
            }
        };
        progress.advanced(built.events, total.max(built.events));
        Ok((built, switch_started.elapsed()))
    }

    /// After a failure: the shadows and their checkpoint go (best effort;
    /// the next rebuild would drop them anyway), the live tables never changed.
    async fn abandon(&self, projection: &dyn Projection) {
        let cleared = async {
            let txn = Dialect::of(&self.db).begin_write(&self.db).await?;
            shadow::drop_leftovers(&txn, projection.tables()).await?;
            forget_checkpoint(&txn, &Target::Shadow.checkpoint(projection.name())).await?;
            txn.commit().await.context("cannot commit")
        };
        if let Err(error) = cleared.await {
            tracing::warn!(error = format!("{error:#}"), "cannot remove the shadow tables of the failed rebuild");
        }
    }

    /// Stops writers, applies the rest of the log, swaps the tables in and
    /// deletes the shadows' checkpoints (the live tables, inline, need none),
    /// all in one transaction.
    async fn switch(&self, projections: &[Arc<dyn Projection>], mut built: Built) -> anyhow::Result<Built> {
        let txn = Dialect::of(&self.db).begin_write(&self.db).await?;
        if Dialect::of(&txn) == Dialect::Postgres {
            txn.execute_unprepared(&format!("SET LOCAL lock_timeout = '{SWITCH_LOCK_TIMEOUT}'"))
                .await
                .context("cannot set the lock timeout")?;
        }
        stop_appends(&txn).await?;
        loop {
            let events = read_log(&txn, built.position, self.batch).await?;
            if events.is_empty() {
                break;
            }
            project(&txn, projections, Target::Shadow, &events).await?;
            built.add(&events);
        }
        for projection in projections {
            shadow::swap(&txn, projection.tables()).await?;
            forget_checkpoint(&txn, &Target::Shadow.checkpoint(projection.name())).await?;
        }
        txn.commit().await.context("cannot commit the switch")?;
        Ok(built)
    }
}

/// How far the shadow tables are built.
#[derive(Debug, Clone, Copy)]
struct Built {
    position: i64,
    events: u64,
}

impl Built {
    fn add(&mut self, events: &[RecordedEvent]) {
        if let Some(last) = events.last() {
            self.position = last.position;
            self.events += events.len() as u64;
        }
    }
}

async fn forget_checkpoint(txn: &DatabaseTransaction, name: &str) -> anyhow::Result<()> {
    projection_checkpoint::Entity::delete_by_id(name.to_owned())
        .exec(txn)
        .await
        .with_context(|| format!("cannot delete checkpoint {name}"))?;
    Ok(())
}
