//! Entity models read from a SQLite row by position: `Entity::find()` selects
//! an entity's columns in the order they are declared, which is the order of
//! the model's fields, so each model reads its columns in that order (columns
//! after them, such as a rank, are not read). Values are read as sqlx stores
//! them: a UUID as its 16 bytes, an instant as RFC 3339 text, JSON as text.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::{FromSqlError, Type};
use uuid::Uuid;

use crate::infrastructure::entities::{account, account_transaction, client, event, transfer};

/// A model that can be read from an inline row.
pub trait InlineRow: Sized {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

impl InlineRow for account::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(account::Model {
            id: uuid(row, 0)?,
            seq: row.get(1)?,
            number: row.get(2)?,
            owner_id: uuid(row, 3)?,
            currency: row.get(4)?,
            balance_cents: row.get(5)?,
            overdraft_limit_cents: row.get(6)?,
            status: row.get(7)?,
            version: row.get(8)?,
            opened_at: instant(row, 9)?,
            updated_at: instant(row, 10)?,
            last_position: row.get(11)?,
        })
    }
}

impl InlineRow for account_transaction::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(account_transaction::Model {
            id: uuid(row, 0)?,
            account_id: uuid(row, 1)?,
            version: row.get(2)?,
            kind: row.get(3)?,
            amount_cents: row.get(4)?,
            balance_after_cents: row.get(5)?,
            description: row.get(6)?,
            transfer_id: optional_uuid(row, 7)?,
            occurred_at: instant(row, 8)?,
            position: row.get(9)?,
        })
    }
}

impl InlineRow for client::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(client::Model {
            id: uuid(row, 0)?,
            seq: row.get(1)?,
            username: row.get(2)?,
            email: row.get(3)?,
            email_lower: row.get(4)?,
            password_hash: row.get(5)?,
            first_name: row.get(6)?,
            last_name: row.get(7)?,
            is_company: row.get(8)?,
            role: row.get(9)?,
            created_at: instant(row, 10)?,
            version: row.get(11)?,
        })
    }
}

impl InlineRow for transfer::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(transfer::Model {
            id: uuid(row, 0)?,
            from_account_id: uuid(row, 1)?,
            to_account_id: uuid(row, 2)?,
            amount_cents: row.get(3)?,
            currency: row.get(4)?,
            description: row.get(5)?,
            status: row.get(6)?,
            failure_reason: row.get(7)?,
            requested_at: instant(row, 8)?,
            completed_at: optional_instant(row, 9)?,
            version: row.get(10)?,
        })
    }
}

impl InlineRow for event::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(event::Model {
            position: row.get(0)?,
            id: uuid(row, 1)?,
            stream_id: uuid(row, 2)?,
            stream_type: row.get(3)?,
            version: row.get(4)?,
            event_type: row.get(5)?,
            schema_version: row.get(6)?,
            data: json(row, 7)?,
            metadata: json(row, 8)?,
            recorded_at: instant(row, 9)?,
        })
    }
}

fn uuid(row: &Row<'_>, index: usize) -> rusqlite::Result<Uuid> {
    optional_uuid(row, index)?.ok_or(rusqlite::Error::InvalidColumnType(index, "a UUID".into(), Type::Null))
}

fn optional_uuid(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Uuid>> {
    let bytes = row.get_ref(index)?.as_blob_or_null().map_err(|e| conversion(index, Type::Blob, e))?;
    bytes
        .map(|bytes| Uuid::from_slice(bytes).map_err(|e| conversion(index, Type::Blob, FromSqlError::Other(e.into()))))
        .transpose()
}

fn instant(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    optional_instant(row, index)?.ok_or(rusqlite::Error::InvalidColumnType(index, "an instant".into(), Type::Null))
}

fn optional_instant(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text = row.get_ref(index)?.as_str_or_null().map_err(|e| conversion(index, Type::Text, e))?;
    text.map(|text| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| conversion(index, Type::Text, FromSqlError::Other(e.into())))
    })
    .transpose()
}

fn json(row: &Row<'_>, index: usize) -> rusqlite::Result<serde_json::Value> {
    let text = row.get_ref(index)?.as_str().map_err(|e| conversion(index, Type::Text, e))?;
    serde_json::from_str(text).map_err(|e| conversion(index, Type::Text, FromSqlError::Other(e.into())))
}

fn conversion(index: usize, kind: Type, error: FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, kind, Box::new(error))
}
