//! One group commit: the commits of many commands checked together and
//! written in one database transaction with multi-row statements.
//!
//! Each commit keeps its own all-or-nothing semantics. Under the append
//! order (see `Dialect::order_appends`) nothing else appends, so the checks
//! made at its start are exact: a commit whose stream moved, whose unique
//! value is taken or whose idempotency key is used is refused alone, before
//! anything is written; a commit that collides with an earlier member of the
//! same batch waits for the next batch. What is left cannot fail on its own
//! account, and is written as one.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QueryTrait, Set, Statement};
use uuid::Uuid;

use crate::application::ports::{Commit, CommitError, ProcessedCommand, RecordedEvent, StreamAppend};
use crate::infrastructure::database::Dialect;
use crate::infrastructure::database::ROWS_PER_STATEMENT;
use crate::infrastructure::entities::{event, processed_command, unique_claim};

/// What became of one commit of a batch.
pub(super) enum Outcome {
    /// Written: its events, in order, with their positions.
    Written(Vec<RecordedEvent>),
    /// Refused by the checks; nothing of it was written.
    Refused(CommitError),
    /// It collides with an earlier commit of the same batch: for the next one.
    Deferred,
}

/// The batch as written.
pub(super) struct Written {
    pub outcomes: Vec<Outcome>,
    /// Every event the batch appended, in position order.
    pub events: Vec<RecordedEvent>,
    /// The newest position committed before this batch: every event up to it
    /// was visible when the batch's events got theirs.
    pub previous_head: i64,
}

/// Checks and writes `commits` in `txn`, which holds the append order.
/// The caller commits `txn` (or drops it, which writes nothing).
pub(super) async fn write(
    txn: &DatabaseTransaction,
    dialect: Dialect,
    commits: &[&Commit],
) -> Result<Written, anyhow::Error> {
    let found = Found::read(txn, dialect, commits).await?;
    let mut admitted = Admitted::default();
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(commits.len());
    for commit in commits {
        outcomes.push(admitted.admit(commit, &found).err());
    }
    let recorded_at = Utc::now().trunc_subsecs(6);
    let members: Vec<(usize, &Commit)> =
        commits.iter().enumerate().filter(|(i, _)| outcomes[*i].is_none()).map(|(i, c)| (i, *c)).collect();
    let positions = insert_events(txn, dialect, &members, recorded_at).await?;
    insert_claims(txn, &members).await?;
    let mut events = Vec::new();
    let mut written: HashMap<usize, Vec<RecordedEvent>> = HashMap::new();
    for &(index, commit) in &members {
        let recorded = recorded_events(commit, recorded_at, &positions)?;
        events.extend(recorded.iter().cloned());
        written.insert(index, recorded);
    }
    record_processed(txn, &members, &written, recorded_at).await?;
    events.sort_by_key(|e| e.position);
    let outcomes = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, refused)| refused.unwrap_or_else(|| Outcome::Written(written.remove(&index).unwrap_or_default())))
        .collect();
    Ok(Written { outcomes, events, previous_head: found.head })
}

/// What the database holds that the batch's checks need, read in a few
/// statements for the whole batch.
struct Found {
    /// The version of every stream the batch appends to (absent: 0).
    versions: HashMap<Uuid, i32>,
    /// Unique values claimed already, as (scope, value).
    claims: HashSet<(String, String)>,
    /// Idempotency keys used already.
    processed: HashSet<Uuid>,
    head: i64,
}

impl Found {
    async fn read(txn: &DatabaseTransaction, dialect: Dialect, commits: &[&Commit]) -> anyhow::Result<Self> {
        let streams: HashSet<Uuid> = commits.iter().flat_map(|c| c.appends.iter().map(|a| a.stream_id)).collect();
        let claims: Vec<(String, String)> =
            commits.iter().flat_map(|c| c.claims.iter().map(|k| (k.scope.to_owned(), k.value.clone()))).collect();
        let keys: Vec<Uuid> = commits.iter().filter_map(|c| c.idempotency.as_ref().map(|k| k.command_id)).collect();
        Ok(Found {
            versions: versions(txn, dialect, &streams).await?,
            claims: claimed(txn, &claims).await?,
            processed: processed(txn, &keys).await?,
            head: head(txn).await?,
        })
    }
}

/// One index probe per stream (its newest version), not a scan of its events.
async fn versions(
    txn: &DatabaseTransaction,
    dialect: Dialect,
    streams: &HashSet<Uuid>,
) -> anyhow::Result<HashMap<Uuid, i32>> {
    let mut versions = HashMap::with_capacity(streams.len());
    let streams: Vec<Uuid> = streams.iter().copied().collect();
    for chunk in streams.chunks(ROWS_PER_STATEMENT) {
        let listed: Vec<String> = (1..=chunk.len()).map(|n| format!("({})", dialect.parameter(n))).collect();
        let sql = format!(
            "SELECT listed.column1, (SELECT MAX(version) FROM events WHERE stream_id = listed.column1) \
             FROM (VALUES {}) AS listed",
            listed.join(", ")
        );
        let values: Vec<sea_orm::Value> = chunk.iter().map(|&id| id.into()).collect();
        let statement = Statement::from_sql_and_values(dialect.backend(), sql, values);
        let rows = txn.query_all_raw(statement).await.context("cannot read the versions of the streams")?;
        for row in rows {
            let stream: Uuid = row.try_get_by_index(0)?;
            if let Some(version) = row.try_get_by_index::<Option<i32>>(1)? {
                versions.insert(stream, version);
            }
        }
    }
    Ok(versions)
}

async fn claimed(txn: &DatabaseTransaction, claims: &[(String, String)]) -> anyhow::Result<HashSet<(String, String)>> {
    let mut taken = HashSet::new();
    for chunk in claims.chunks(ROWS_PER_STATEMENT) {
        let query = Query::select()
            .columns([unique_claim::Column::Scope, unique_claim::Column::Value])
            .from(unique_claim::Entity)
            .and_where(
                Expr::tuple([Expr::col(unique_claim::Column::Scope), Expr::col(unique_claim::Column::Value)])
                    .in_tuples(chunk.iter().cloned()),
            )
            .to_owned();
        for row in txn.query_all(&query).await.context("cannot read the unique claims")? {
            taken.insert((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
        }
    }
    Ok(taken)
}

async fn processed(txn: &DatabaseTransaction, keys: &[Uuid]) -> anyhow::Result<HashSet<Uuid>> {
    let mut used = HashSet::new();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let query = Query::select()
            .column(processed_command::Column::CommandId)
            .from(processed_command::Entity)
            .and_where(Expr::col(processed_command::Column::CommandId).is_in(chunk.iter().copied()))
            .to_owned();
        for row in txn.query_all(&query).await.context("cannot read the processed commands")? {
            used.insert(row.try_get_by_index(0)?);
        }
    }
    Ok(used)
}

async fn head(txn: &DatabaseTransaction) -> anyhow::Result<i64> {
    let query = Query::select()
        .expr(Func::coalesce([Expr::col(event::Column::Position).max(), Expr::val(0i64)]))
        .from(event::Entity)
        .to_owned();
    let row = txn.query_one(&query).await.context("cannot read the head of the log")?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

/// What the members admitted so far take: a later member that wants any of
/// it waits for the next batch.
#[derive(Default)]
struct Admitted {
    /// Streams appended to, at the version the batch leaves them.
    streams: HashMap<Uuid, i32>,
    claims: HashSet<(String, String)>,
    keys: HashSet<Uuid>,
}

impl Admitted {
    /// Admits `commit` to the batch, or says why not.
    fn admit(&mut self, commit: &Commit, found: &Found) -> Result<(), Outcome> {
        let touches_earlier = commit.appends.iter().any(|a| self.streams.contains_key(&a.stream_id))
            || commit.claims.iter().any(|c| self.claims.contains(&(c.scope.to_owned(), c.value.clone())))
            || commit.idempotency.as_ref().is_some_and(|k| self.keys.contains(&k.command_id));
        if touches_earlier {
            return Err(Outcome::Deferred);
        }
        let mut heads: HashMap<Uuid, i32> = HashMap::new();
        for append in &commit.appends {
            let current =
                heads.get(&append.stream_id).or_else(|| found.versions.get(&append.stream_id)).copied().unwrap_or(0);
            if current != append.expected_version {
                return Err(Outcome::Refused(conflict(append)));
            }
            heads.insert(append.stream_id, append.expected_version + append.events.len() as i32);
        }
        let mut claimed_here = HashSet::new();
        if let Some(claim) = commit.claims.iter().find(|c| {
            found.claims.contains(&(c.scope.to_owned(), c.value.clone())) || !claimed_here.insert((c.scope, &c.value))
        }) {
            return Err(Outcome::Refused(CommitError::AlreadyClaimed { scope: claim.scope }));
        }
        if commit.idempotency.as_ref().is_some_and(|k| found.processed.contains(&k.command_id)) {
            return Err(Outcome::Refused(CommitError::AlreadyProcessed));
        }
        self.streams.extend(heads);
        self.claims.extend(commit.claims.iter().map(|c| (c.scope.to_owned(), c.value.clone())));
        self.keys.extend(commit.idempotency.as_ref().map(|k| k.command_id));
        Ok(())
    }
}

fn conflict(append: &StreamAppend) -> CommitError {
    CommitError::Conflict { stream_id: append.stream_id, expected_version: append.expected_version }
}

/// Inserts every event of the members, in member order, and returns the
/// position each got, by event id.
async fn insert_events(
    txn: &DatabaseTransaction,
    dialect: Dialect,
    members: &[(usize, &Commit)],
    recorded_at: DateTime<Utc>,
) -> anyhow::Result<HashMap<Uuid, i64>> {
    let mut rows = Vec::new();
    for (_, commit) in members {
        for append in &commit.appends {
            for (version, new) in (append.expected_version + 1..).zip(&append.events) {
                rows.push(event::ActiveModel {
                    position: sea_orm::ActiveValue::NotSet,
                    id: Set(new.id),
                    stream_id: Set(append.stream_id),
                    stream_type: Set(append.stream_type.as_str().to_owned()),
                    version: Set(version),
                    event_type: Set(new.event_type.clone()),
                    schema_version: Set(new.schema_version),
                    data: Set(new.data.clone()),
                    metadata: Set(serde_json::to_value(&new.metadata).context("cannot serialize metadata")?),
                    recorded_at: Set(recorded_at),
                });
            }
        }
    }
    let mut positions = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = event::Entity::insert_many(chunk.to_vec()).into_query();
        insert.returning(Query::returning().columns([event::Column::Id, event::Column::Position]));
        // Positions are drawn in the order of the rows: the order of the
        // members and of their events.
        let rows = txn.query_all_raw(dialect.backend().build(&insert)).await.context("cannot append the events")?;
        for row in rows {
            positions.insert(row.try_get_by_index::<Uuid>(0)?, row.try_get_by_index::<i64>(1)?);
        }
    }
    Ok(positions)
}

/// The events of `commit` as recorded.
fn recorded_events(
    commit: &Commit,
    recorded_at: DateTime<Utc>,
    positions: &HashMap<Uuid, i64>,
) -> anyhow::Result<Vec<RecordedEvent>> {
    let mut recorded = Vec::new();
    for append in &commit.appends {
        for (version, new) in (append.expected_version + 1..).zip(&append.events) {
            let position = *positions.get(&new.id).with_context(|| format!("event {} got no position", new.id))?;
            recorded.push(RecordedEvent {
                position,
                id: new.id,
                stream_id: append.stream_id,
                stream_type: append.stream_type,
                version,
                event_type: new.event_type.clone(),
                schema_version: new.schema_version,
                data: new.data.clone(),
                metadata: new.metadata.clone(),
                recorded_at,
            });
        }
    }
    Ok(recorded)
}

async fn insert_claims(txn: &DatabaseTransaction, members: &[(usize, &Commit)]) -> anyhow::Result<()> {
    let rows: Vec<unique_claim::ActiveModel> = members
        .iter()
        .flat_map(|(_, commit)| commit.claims.iter())
        .map(|claim| unique_claim::ActiveModel {
            scope: Set(claim.scope.to_owned()),
            value: Set(claim.value.clone()),
            owner_id: Set(claim.owner_id),
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        unique_claim::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await
            .context("cannot record the unique claims")?;
    }
    Ok(())
}

/// Keeps each member's idempotency key with what it recorded.
async fn record_processed(
    txn: &DatabaseTransaction,
    members: &[(usize, &Commit)],
    written: &HashMap<usize, Vec<RecordedEvent>>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for (index, commit) in members {
        let Some(key) = &commit.idempotency else { continue };
        let recorded = written.get(index).map(Vec::as_slice).unwrap_or_default();
        let done = ProcessedCommand::of(key, commit, recorded);
        rows.push(processed_command::ActiveModel {
            command_id: Set(key.command_id),
            fingerprint: Set(done.fingerprint),
            positions: Set(serde_json::json!(done.positions)),
            processed_at: Set(at),
            unchanged_stream_id: Set(done.unchanged.map(|u| u.stream_id)),
            unchanged_version: Set(done.unchanged.map(|u| u.version)),
        });
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        processed_command::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await
            .context("cannot record the processed commands")?;
    }
    Ok(())
}
