//! Why the database could not be opened, said once, with what to do about it.
//!
//! The pool retries a refused connection until its acquire timeout and then
//! reports only "pool timed out"; SeaORM wraps sqlx's error, which repeats
//! its cause in its own text. An operator needs the cause once, the URL it
//! concerns (without its password) and a hint.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::{self, ConnectOptions as _, postgres::PgConnectOptions};
use sea_orm::{DbErr, RuntimeErr};

use super::redact;

/// SQLite's SQLITE_CANTOPEN: the file or its directory cannot be opened.
const SQLITE_CANTOPEN: &str = "14";

const URL_FORMS: &str = "use sqlite://FILE?mode=rwc or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";

/// One line naming `url`: what went wrong and, when known, what to do.
pub(super) async fn explain(url: &str, acquire_timeout: Duration, error: DbErr) -> anyhow::Error {
    let shown = redact(url);
    let DbErr::Conn(RuntimeErr::SqlxError(cause)) = &error else {
        // SeaORM's own refusal: a URL of no database it drives.
        return anyhow::anyhow!("{shown}: {}; hint: {URL_FORMS}", error.to_string().trim_end_matches('.'));
    };
    let (reason, hint) = match cause.as_ref() {
        sqlx::Error::PoolTimedOut if !is_sqlite(url) => match probe_postgres(url, acquire_timeout).await {
            Some(cause) => postgres(url, &cause),
            None => timed_out(acquire_timeout),
        },
        sqlx::Error::PoolTimedOut => timed_out(acquire_timeout),
        cause if is_sqlite(url) => sqlite(url, cause),
        cause => postgres(url, cause),
    };
    match hint {
        Some(hint) => anyhow::anyhow!("{shown}: {reason}; hint: {hint}"),
        None => anyhow::anyhow!("{shown}: {reason}"),
    }
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The pool only says it gave up: one connection of our own learns why.
async fn probe_postgres(url: &str, timeout: Duration) -> Option<sqlx::Error> {
    let options = match url.parse::<PgConnectOptions>() {
        Ok(options) => options,
        Err(error) => return Some(error),
    };
    match tokio::time::timeout(timeout, options.connect()).await {
        Ok(Err(error)) => Some(error),
        Ok(Ok(_)) | Err(_) => None,
    }
}

fn timed_out(timeout: Duration) -> (String, Option<String>) {
    (
        format!("no connection within {} s", timeout.as_secs()),
        Some("the database answers slowly or holds a lock; raise DATABASE_ACQUIRE_TIMEOUT_SECONDS".into()),
    )
}

fn postgres(url: &str, cause: &sqlx::Error) -> (String, Option<String>) {
    let address = url
        .parse::<PgConnectOptions>()
        .map(|options| format!("{}:{}", options.get_host(), options.get_port()))
        .unwrap_or_default();
    match cause {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => (
            "connection refused".into(),
            Some(format!("is PostgreSQL running and listening on {address}? Check the host and port in the URL")),
        ),
        sqlx::Error::Io(io) => (io.to_string(), Some(format!("check that {address} is PostgreSQL's address"))),
        sqlx::Error::Configuration(error) => (format!("not a usable database URL ({error})"), Some(URL_FORMS.into())),
        sqlx::Error::Database(error) => {
            let hint = match error.code().as_deref() {
                Some("3D000") => Some("create it (createdb) or name an existing database in the URL".into()),
                Some("28P01" | "28000") => Some("check the user and password in the URL".into()),
                Some("57P03") => Some("the database is starting up or shutting down; try again shortly".into()),
                Some("53300") => Some("the server has no connection left; lower DATABASE_MAX_CONNECTIONS".into()),
                _ => None,
            };
            (error.message().to_string(), hint)
        }
        cause => (cause.to_string(), None),
    }
}

fn sqlite(url: &str, cause: &sqlx::Error) -> (String, Option<String>) {
    let sqlx::Error::Database(error) = cause else {
        let hint = matches!(cause, sqlx::Error::Configuration(_)).then(|| "use sqlite://FILE?mode=rwc".to_string());
        return (cause.to_string(), hint);
    };
    if error.code().as_deref() != Some(SQLITE_CANTOPEN) {
        return (error.message().to_string(), None);
    }
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
    let creates = query.split('&').any(|pair| matches!(pair, "mode=rwc" | "mode=memory"));
    let path = Path::new(file);
    let directory = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    match directory {
        Some(directory) if !directory.is_dir() => (
            format!("the directory {} does not exist", directory.display()),
            Some("create it, or name a file in an existing directory".into()),
        ),
        _ if !path.exists() && !creates => (
            format!("the file {file} does not exist"),
            Some(format!("add ?mode=rwc to the URL to create it: sqlite://{file}?mode=rwc")),
        ),
        _ if !path.exists() => (
            format!("the file {file} cannot be created"),
            Some("check that this user may write in its directory".into()),
        ),
        _ => (
            format!("the file {file} cannot be opened"),
            Some("check that this user may read and write it and its directory".into()),
        ),
    }
}
