//! [`CheckpointStore`] for the process managers: how far each has followed
//! the log.

use async_trait::async_trait;
use sea_orm::DatabaseConnection;

use crate::application::ports::{Checkpoint, CheckpointStore};
use crate::infrastructure::projections::{advance_checkpoint, all_checkpoints, checkpoint};

#[derive(Clone)]
pub struct SeaOrmCheckpoints {
    db: DatabaseConnection,
}

impl SeaOrmCheckpoints {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmCheckpoints { db }
    }
}

#[async_trait]
impl CheckpointStore for SeaOrmCheckpoints {
    async fn position(&self, name: &str) -> anyhow::Result<i64> {
        checkpoint(&self.db, name).await
    }

    async fn advance(&self, name: &str, position: i64) -> anyhow::Result<()> {
        advance_checkpoint(&self.db, name, position).await
    }

    async fn all(&self) -> anyhow::Result<Vec<Checkpoint>> {
        all_checkpoints(&self.db).await
    }
}
