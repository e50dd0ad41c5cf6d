//! Adapters: concrete implementations of the application's ports.

pub mod security;
