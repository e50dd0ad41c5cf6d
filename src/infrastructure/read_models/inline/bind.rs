//! A statement's values as SQLite values, stored the way sqlx stores them (a
//! UUID as its 16 bytes, an instant as RFC 3339 text, a boolean as 0 or 1).

use chrono::SecondsFormat;
use rusqlite::types::Value as Sqlite;
use sea_orm::sea_query::{Value, Values};

/// Every value of a statement; a kind of value the read models never bind is an error.
pub fn bind(values: &Values) -> rusqlite::Result<Vec<Sqlite>> {
    values.0.iter().map(one).collect()
}

fn one(value: &Value) -> rusqlite::Result<Sqlite> {
    let null = Sqlite::Null;
    Ok(match value {
        Value::Bool(v) => v.map_or(null, |v| Sqlite::Integer(i64::from(v))),
        Value::Int(v) => v.map_or(null, |v| Sqlite::Integer(i64::from(v))),
        Value::BigInt(v) => v.map_or(null, Sqlite::Integer),
        Value::Unsigned(v) => v.map_or(null, |v| Sqlite::Integer(i64::from(v))),
        Value::BigUnsigned(v) => match v {
            Some(v) => {
                Sqlite::Integer(i64::try_from(*v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?)
            }
            None => null,
        },
        Value::String(v) => v.as_ref().map_or(null, |v| Sqlite::Text(v.clone())),
        Value::Uuid(v) => v.map_or(null, |v| Sqlite::Blob(v.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(v) => {
            v.map_or(null, |v| Sqlite::Text(v.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
        }
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(format!("no inline binding for {other:?}").into()));
        }
    })
}
