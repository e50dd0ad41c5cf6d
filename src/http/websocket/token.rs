//! Finds the bearer token of a connection. Browsers cannot set headers on a
//! websocket, so clients put it in the `connection_init` payload, under
//! whichever key their library uses: `authToken` (Apollo docs),
//! `Authorization` (GraphiQL's headers tab), `token`, or nested `headers`.

use serde_json::Value;

use crate::application::auth::bearer_token;

const PAYLOAD_KEYS: [&str; 4] = ["authToken", "Authorization", "authorization", "token"];
const HEADER_KEYS: [&str; 2] = ["Authorization", "authorization"];

/// The token from the init payload, else from the upgrade request's
/// `Authorization` header, without any `Bearer ` prefix.
pub fn find(payload: Option<&Value>, upgrade_authorization: Option<&str>) -> Option<String> {
    let from_payload = payload.and_then(|payload| {
        let top = PAYLOAD_KEYS.iter().map(|key| payload.get(key));
        let headers = payload.get("headers");
        let nested = HEADER_KEYS.iter().map(move |key| headers.and_then(|h| h.get(key)));
        top.chain(nested).filter_map(|value| value.and_then(Value::as_str).and_then(bearer_token)).next()
    });
    from_payload.or_else(|| upgrade_authorization.and_then(bearer_token)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from(payload: Value) -> Option<String> {
        find(Some(&payload), None)
    }

    #[test]
    fn every_payload_key_is_read() {
        assert_eq!(from(json!({"authToken": "a"})).as_deref(), Some("a"));
        assert_eq!(from(json!({"Authorization": "Bearer b"})).as_deref(), Some("b"));
        assert_eq!(from(json!({"authorization": "bearer c"})).as_deref(), Some("c"));
        assert_eq!(from(json!({"token": "d"})).as_deref(), Some("d"));
        let nested = json!({"headers": {"Authorization": "BEARER e"}});
        assert_eq!(from(nested).as_deref(), Some("e"));
        let nested = json!({"headers": {"authorization": "f"}});
        assert_eq!(from(nested).as_deref(), Some("f"));
    }

    #[test]
    fn keys_are_tried_in_order_and_blanks_skipped() {
        let payload = json!({"token": "late", "authToken": "early"});
        assert_eq!(from(payload).as_deref(), Some("early"));
        let payload =
            json!({"authToken": "", "Authorization": "Bearer ", "token": 3, "headers": {"authorization": "x"}});
        assert_eq!(from(payload).as_deref(), Some("x"));
    }

    #[test]
    fn the_upgrade_header_is_the_fallback() {
        assert_eq!(find(None, Some("Bearer h")).as_deref(), Some("h"));
        assert_eq!(find(Some(&json!({})), Some("h")).as_deref(), Some("h"));
        assert_eq!(find(Some(&json!({"token": "p"})), Some("h")).as_deref(), Some("p"));
        assert_eq!(find(Some(&json!(null)), None), None);
        assert_eq!(find(Some(&json!("Bearer x")), None), None);
    }

    #[test]
    fn multibyte_values_do_not_panic() {
        assert_eq!(from(json!({"token": "é"})).as_deref(), Some("é"));
        assert_eq!(from(json!({"token": "ééééé"})).as_deref(), Some("ééééé"));
    }
}
