//! Adapters: concrete implementations of the application's ports.

pub mod memory;
pub mod security;
