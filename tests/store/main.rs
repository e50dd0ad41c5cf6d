//! Adapter tests against real databases: always SQLite, and PostgreSQL too
//! when `TEST_DATABASE_URL` is set. Every test body runs on each backend;
//! the `EventStore` contract runs on the in-memory store as well.

mod contract;
mod durability;
mod events;
mod group_commit;
mod ordering;
mod projections;
mod read_models;
mod rebuild;
mod snapshots;
mod support;
use test_support::test_database;
mod workload;
