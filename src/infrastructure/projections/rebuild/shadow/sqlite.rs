//! SQLite's side of the shadow tables: a table's own `CREATE TABLE` text,
//! renamed, and its indexes created again at the swap (SQLite cannot rename
//! an index).

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use super::quote;

/// `CREATE TABLE` for `shadow` with the definition of `table`.
pub(super) async fn create_like(txn: &DatabaseTransaction, table: &str, shadow: &str) -> anyhow::Result<String> {
    let sql = schema(txn, "table", table).await?;
    let Some((_, sql)) = sql.into_iter().next() else { bail!("there is no table {table} to rebuild") };
    renamed_create_table(&sql, table, shadow)
        .with_context(|| format!("cannot read the definition of table {table}: {sql}"))
}

/// The `CREATE INDEX` statements of `table`.
pub(super) async fn index_definitions(txn: &DatabaseTransaction, table: &str) -> anyhow::Result<Vec<String>> {
    Ok(schema(txn, "index", table).await?.into_iter().map(|(_, sql)| sql).collect())
}

/// `(name, sql)` of the tables or indexes called / on `table` that have SQL
/// of their own (not SQLite's automatic indexes for inline constraints).
async fn schema(txn: &DatabaseTransaction, kind: &str, table: &str) -> anyhow::Result<Vec<(String, String)>> {
    let column = if kind == "table" { "name" } else { "tbl_name" };
    let sql = format!(
        "SELECT name, sql FROM sqlite_master WHERE type = ? AND {column} = ? AND sql IS NOT NULL ORDER BY name"
    );
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [kind.into(), table.into()]))
        .await
        .with_context(|| format!("cannot read the schema of {table}"))?;
    rows.iter()
        .map(|row| Ok((row.try_get::<String>("", "name")?, row.try_get::<String>("", "sql")?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .with_context(|| format!("cannot read the schema of {table}"))
}

/// `CREATE TABLE "from" (…)` as `CREATE TABLE "to" (…)`; `None` unless the
/// statement creates exactly `from`.
fn renamed_create_table(sql: &str, from: &str, to: &str) -> Option<String> {
    let rest = strip_word(sql.trim_start(), "CREATE")?;
    let rest = strip_word(rest, "TABLE")?;
    let rest =
        strip_word(rest, "IF").and_then(|r| strip_word(r, "NOT")).and_then(|r| strip_word(r, "EXISTS")).unwrap_or(rest);
    let (name, after) = match rest.chars().next()? {
        open @ ('"' | '`' | '[') => {
            let close = if open == '[' { ']' } else { open };
            let end = rest[1..].find(close)? + 1;
            (&rest[1..end], &rest[end + 1..])
        }
        _ => {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    name.eq_ignore_ascii_case(from).then(|| format!("CREATE TABLE {}{after}", quote(to)))
}

/// `text` after a leading keyword and the whitespace that follows it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_statements_are_renamed_whatever_the_quoting() {
        let shadow = r#"CREATE TABLE "accounts__rebuild" ( "id" uuid_text NOT NULL PRIMARY KEY )"#;
        assert_eq!(
            renamed_create_table(
                r#"CREATE TABLE "accounts" ( "id" uuid_text NOT NULL PRIMARY KEY )"#,
                "accounts",
                "accounts__rebuild"
            )
            .as_deref(),
            Some(shadow)
        );
        assert_eq!(
            renamed_create_table(r#"create table accounts( "id" uuid_text NOT NULL PRIMARY KEY )"#, "accounts", "x")
                .as_deref(),
            Some(r#"CREATE TABLE "x"( "id" uuid_text NOT NULL PRIMARY KEY )"#)
        );
        assert_eq!(
            renamed_create_table("CREATE TABLE IF NOT EXISTS `accounts` (id)", "accounts", "x").as_deref(),
            Some(r#"CREATE TABLE "x" (id)"#)
        );
        assert_eq!(
            renamed_create_table("CREATE TABLE [accounts] (id)", "accounts", "x").as_deref(),
            Some(r#"CREATE TABLE "x" (id)"#)
        );
        assert_eq!(renamed_create_table(r#"CREATE TABLE "accounts_old" (id)"#, "accounts", "x"), None);
        assert_eq!(renamed_create_table("CREATE VIEW accounts AS SELECT 1", "accounts", "x"), None);
    }
}
