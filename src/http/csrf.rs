//! CSRF prevention as Apollo Server does it: a browser can send a "simple"
//! cross-site request without a preflight, so an operation runs only when the
//! request could not have been simple.

use axum::http::{HeaderMap, header};

const SIMPLE_CONTENT_TYPES: [&str; 3] = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"];
const PREFLIGHT_HEADERS: [&str; 2] = ["x-apollo-operation-name", "apollo-require-preflight"];

pub const MESSAGE: &str = "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). \
Please either specify a 'content-type' header (with a type that is not one of application/x-www-form-urlencoded, \
multipart/form-data, text/plain) or provide a non-empty value for one of the following headers: \
x-apollo-operation-name, apollo-require-preflight";

pub fn is_blocked(headers: &HeaderMap) -> bool {
    let has_preflight_header =
        PREFLIGHT_HEADERS.iter().any(|h| headers.get(*h).is_some_and(|v| !v.as_bytes().is_empty()));
    if has_preflight_header {
        return false;
    }
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence.is_empty() || SIMPLE_CONTENT_TYPES.contains(&essence.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn json_requests_pass_and_simple_ones_are_blocked() {
        assert!(!is_blocked(&headers(&[("content-type", "application/json")])));
        assert!(!is_blocked(&headers(&[("content-type", "application/json; charset=utf-8")])));
        assert!(is_blocked(&headers(&[("content-type", "text/plain")])));
        assert!(is_blocked(&headers(&[("content-type", "Multipart/Form-Data; boundary=x")])));
        assert!(is_blocked(&headers(&[])));
    }

    #[test]
    fn a_preflight_header_lets_any_request_through() {
        assert!(!is_blocked(&headers(&[("content-type", "text/plain"), ("apollo-require-preflight", "true")])));
        assert!(!is_blocked(&headers(&[("x-apollo-operation-name", "Me")])));
        assert!(is_blocked(&headers(&[("apollo-require-preflight", "")])));
    }
}
