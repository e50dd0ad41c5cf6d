//! Black-box tests of the whole server over real HTTP: every test starts the
//! server on a random port with a fresh database and talks GraphQL to it.

mod authorization;
mod bad_input;
mod batched_authorization;
mod concurrency;
mod cors;
mod graphiql;
mod graphql_over_http;
mod idempotency;
mod inline_reads;
mod invariants;
mod kept_documents;
mod metrics;
mod persisted_queries;
mod projections;
mod schema;
mod shared_subscriptions;
mod sockets;
mod statement_counts;
mod subscriptions;
mod time_travel;
mod transfers;
mod walkthrough;
mod write_round_trips;

use test_support::app as helpers;
use test_support::server_process;
use test_support::test_database;
use test_support::ws_client;
