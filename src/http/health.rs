use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;

use super::HttpState;

/// Orchestrators probe often and act on a slow answer as on a failure: a
/// database that has not answered by then is not ready.
const READY_WITHIN: Duration = Duration::from_secs(1);

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers too, within `READY_WITHIN`.
pub async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(READY_WITHIN, state.ctx.health.ready()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(error)) => {
            tracing::warn!(error = format!("{error:#}"), "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READY_WITHIN:?}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
