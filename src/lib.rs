//! minibank: an event-sourced bank ledger served as a GraphQL API.
//!
//! Layers, inner to outer: `domain` (pure rules), `application` (bus, handlers,
//! queries, ports), `infrastructure` (SeaORM, security adapters), `graphql` and
//! `http` (entry points), `bootstrap` (wiring).

pub mod application;
pub mod domain;
pub mod infrastructure;
