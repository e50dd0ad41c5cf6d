//! Every metric the server exports, with its description: one list, so the
//! README's table and `/metrics`' `# HELP` lines say the same thing. Parts of
//! the server outside `http` record some of these by name.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

pub const HTTP_REQUESTS: &str = "minibank_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "minibank_http_request_duration_seconds";
pub const GRAPHQL_OPERATIONS: &str = "minibank_graphql_operations_total";
pub const GRAPHQL_OPERATION_DURATION: &str = "minibank_graphql_operation_duration_seconds";
pub const WEBSOCKET_CONNECTIONS: &str = "minibank_websocket_connections";
pub const LIVE_SUBSCRIPTIONS: &str = "minibank_live_subscriptions";
pub const LIVE_FEED_LAG: &str = "minibank_live_feed_lag_events";
pub const LIVE_FOLLOWED_STREAMS: &str = "minibank_live_followed_streams";
pub const FOLLOWER_LAG: &str = "minibank_follower_lag_events";
pub const LOG_HEAD: &str = "minibank_event_log_head_position";
pub const DB_POOL_CONNECTIONS: &str = "minibank_db_pool_connections";
pub const DB_POOL_MAX_CONNECTIONS: &str = "minibank_db_pool_max_connections";
pub const LOGIN_FAILURES: &str = "minibank_login_failures_total";
pub const COMMIT_BATCHES: &str = "minibank_commit_batches_total";
pub const COMMIT_BATCH_SIZE: &str = "minibank_commit_batch_size";
pub const COMMANDS_COMMITTED: &str = "minibank_commands_committed_total";
pub const EVENTS_APPENDED: &str = "minibank_events_appended_total";
pub const DB_STATEMENTS: &str = "minibank_db_statements_total";
pub const DB_INLINE_STATEMENTS: &str = "minibank_db_inline_statements_total";

/// Upper bounds of the latency histograms' buckets, in seconds.
pub const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Upper bounds of the commit batch size histogram's buckets, in commands.
pub const BATCH_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Gives each metric its `# HELP` text (only once a recorder is installed).
pub fn describe_all() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route (the path template) and status.");
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response, by method and route (websockets: until the upgrade)."
    );
    describe_counter!(
        GRAPHQL_OPERATIONS,
        "GraphQL operations over HTTP (each of a batch), by operation name, type (query, mutation, subscription, \
         unknown when the document did not parse) and outcome code (OK, or the first error's extensions.code)."
    );
    describe_histogram!(
        GRAPHQL_OPERATION_DURATION,
        Unit::Seconds,
        "Latency of the HTTP request that carried each GraphQL operation, by operation name and type."
    );
    describe_gauge!(WEBSOCKET_CONNECTIONS, "Open GraphQL websocket connections.");
    describe_gauge!(LIVE_SUBSCRIPTIONS, "Subscriptions running over websockets.");
    describe_gauge!(
        LIVE_FOLLOWED_STREAMS,
        "Streams that at least one routed subscription follows (accountUpdated, a customer's events, \
         events of given streams); a commit wakes only the subscriptions of its streams, at scrape time."
    );
    describe_gauge!(
        LIVE_FEED_LAG,
        Unit::Count,
        "Committed events the live feed has not read yet (the log's head minus the feed's), at scrape time."
    );
    describe_gauge!(
        FOLLOWER_LAG,
        Unit::Count,
        "Committed events each checkpointed follower (process manager, relay, projection) has not handled yet, by name."
    );
    describe_gauge!(LOG_HEAD, "The position of the newest committed event, at scrape time.");
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Database connections of each pool (writer, reader), by state (in_use, idle)."
    );
    describe_gauge!(DB_POOL_MAX_CONNECTIONS, "The most connections each database pool may open.");
    describe_counter!(
        LOGIN_FAILURES,
        "Refused logins, by reason: invalid_credentials (wrong login or password) or throttled (too many failures)."
    );
    describe_counter!(COMMIT_BATCHES, "Group-commit transactions committed.");
    describe_histogram!(COMMIT_BATCH_SIZE, Unit::Count, "Commands per group-commit transaction.");
    describe_counter!(COMMANDS_COMMITTED, "Commands whose events were committed.");
    describe_counter!(EVENTS_APPENDED, "Events appended to the log.");
    describe_counter!(DB_STATEMENTS, "SQL statements sent to the database.");
    describe_counter!(
        DB_INLINE_STATEMENTS,
        "Of those, the statements SQLite ran on the requests' own threads (keyed reads), not on a pooled connection's."
    );
}
