//! minibank: an event-sourced bank ledger served as a GraphQL API.
//!
//! Layers, inner to outer: `domain` (pure rules), `application` (bus, handlers,
//! queries, ports), `infrastructure` (SeaORM, security adapters), `graphql` and
//! `http` (entry points), `bootstrap` (wiring); `rebuild` drives projection
//! rebuilds from the command line.

pub mod application;
pub mod bootstrap;
pub mod broker;
pub mod config;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod infrastructure;
pub mod rebuild;
