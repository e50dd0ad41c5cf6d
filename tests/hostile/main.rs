//! Hostile input against the real server process: each test sends what an
//! outside attacker (or a careless client) would, then checks that the server
//! still serves, that nothing was written and, where it matters, that memory
//! stayed bounded. SQLite by default; PostgreSQL with `TEST_DATABASE_URL`.

mod support;
#[path = "../api/ws_client.rs"]
mod ws_client;

mod nesting;
mod introspection;
mod document_cache;
mod pricing;
mod http_mistakes;

#[path = "../common/server_process.rs"]
mod server_process;
#[path = "../common/test_database.rs"]
mod test_database;
mod login_throttle;
mod tokens;
mod wrong_kind_ids;
mod idempotent_repeats;
mod money_grammar;
mod input_limits;
mod public_face;
mod connections;
mod fuzz;
