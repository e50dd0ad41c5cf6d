//! Integration through NATS JetStream against a real nats-server: every
//! committed event in the stream once and in order with its documented body,
//! after crashes of the server, restarts of NATS and a change of relay
//! leader; commands by request/reply with GraphQL's payloads, codes and
//! authorization. Each test uses its own subject prefix and stream (deleted
//! at the end) on the machine's NATS (`TEST_NATS_URL`, default
//! nats://127.0.0.1:4222), or a nats-server of its own where it restarts it.
//! On SQLite by default; the same tests run on PostgreSQL with
//! `TEST_DATABASE_URL`, and the two-instance tests only there.

mod commands;
mod failures;
mod instances;
mod stream_setup;
mod support;
mod workload;

use test_support::graphql as client;
use test_support::server_process;
use test_support::test_database;
