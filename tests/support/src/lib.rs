//! What minibank's test binaries share (a dev-dependency of the root crate):
//! a fresh database on either backend, the real server in process or as a
//! child process, one GraphQL client and one websocket client.

pub mod app;
pub mod graphql;
pub mod server_process;
pub mod test_database;
pub mod ws_client;
