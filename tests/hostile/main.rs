//! Hostile input against the real server process: each test sends what an
//! outside attacker (or a careless client) would, then checks that the server
//! still serves, that nothing was written and, where it matters, that memory
//! stayed bounded. SQLite by default; PostgreSQL with `TEST_DATABASE_URL`.

use test_support::server_process;
mod support;
use test_support::test_database;
use test_support::ws_client;

// Crashes and exhaustion.
mod connections;
mod document_cache;
mod introspection;
mod login_throttle;
mod nesting;
mod pricing;

// Wrong answers to client mistakes.
mod http_mistakes;
mod idempotent_repeats;
mod input_limits;
mod money_grammar;
mod public_face;
mod tokens;
mod wrong_kind_ids;

// Thousands of generated requests of every kind above.
mod fuzz;
