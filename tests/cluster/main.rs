//! PostgreSQL in production: several real server processes on one database,
//! and the database going away under load. These need PostgreSQL, so they are
//! ignored by a plain `cargo test`; `.ci/run` runs them with
//! `TEST_DATABASE_URL=... cargo test --test cluster -- --ignored`.

mod client;
mod outage;
mod two_instances;

#[path = "../common/server_process.rs"]
mod server_process;
#[path = "../common/test_database.rs"]
mod test_database;
#[path = "../api/ws_client.rs"]
mod ws_client;

/// The admin URL of the PostgreSQL server the tests may use.
fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect("the cluster tests need TEST_DATABASE_URL (PostgreSQL)")
}
