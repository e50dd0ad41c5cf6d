//! PostgreSQL in production: several real server processes on one database,
//! and the database going away under load. These need PostgreSQL, so they are
//! ignored by a plain `cargo test`; `.ci/run` runs them with
//! `TEST_DATABASE_URL=... cargo test --test cluster -- --ignored`.

use test_support::graphql as client;
mod outage;
mod two_instances;

use test_support::server_process;
use test_support::test_database;
use test_support::ws_client;

/// The admin URL of the PostgreSQL server the tests may use.
fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect("the cluster tests need TEST_DATABASE_URL (PostgreSQL)")
}
