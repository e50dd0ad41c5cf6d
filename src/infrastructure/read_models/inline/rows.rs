//! Columns of a SQLite row in the types sqlx stores them as: a UUID as its 16
//! bytes, an instant as RFC 3339 text.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::{FromSqlError, Type};
use uuid::Uuid;

pub fn uuid(row: &Row<'_>, index: usize) -> rusqlite::Result<Uuid> {
    optional_uuid(row, index)?.ok_or(rusqlite::Error::InvalidColumnType(index, "a UUID".into(), Type::Null))
}

pub fn optional_uuid(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Uuid>> {
    let bytes = row.get_ref(index)?.as_blob_or_null().map_err(|e| conversion(index, Type::Blob, e))?;
    bytes
        .map(|bytes| Uuid::from_slice(bytes).map_err(|e| conversion(index, Type::Blob, FromSqlError::Other(e.into()))))
        .transpose()
}

pub fn instant(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text = row.get_ref(index)?.as_str().map_err(|e| conversion(index, Type::Text, e))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| conversion(index, Type::Text, FromSqlError::Other(e.into())))
}

fn conversion(index: usize, kind: Type, error: FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, kind, Box::new(error))
}
