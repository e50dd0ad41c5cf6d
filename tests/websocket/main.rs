//! The websocket transport against a real client: both subprotocols, their
//! close codes, keepalive, limits and token expiry, and subscriptions that
//! share one evaluation.

mod client;
mod legacy;
mod schema;
mod server;
mod sharing;
mod transport;

// What the sharing tests take from their parent module.
use client::{Client, LEGACY, TRANSPORT, closed, connect, eventually, init, recv, round_trip, send, subscribe};
use server::{Server, fast, server};
