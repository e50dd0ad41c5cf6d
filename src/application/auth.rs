//! Who a bearer token names: the one rule for HTTP requests, websocket
//! connections, the metrics endpoint and NATS commands.

use super::{Actor, AppContext, AppError};

/// No token (or an empty one) is anonymous; a bad one is an error.
pub fn authenticate(ctx: &AppContext, authorization: Option<&str>) -> Result<Actor, AppError> {
    let Some(token) = authorization.and_then(bearer_token) else {
        return Ok(Actor::Anonymous);
    };
    ctx.tokens
        .verify(token)
        .map(|claims| Actor::Client { id: claims.client_id, role: claims.role })
        .ok_or(AppError::Unauthenticated)
}

/// The token of an `Authorization` value, for HTTP headers and websocket
/// payloads alike: `"Bearer abc"` gives `"abc"`, with the scheme in any case
/// (RFC 7235 makes it case-insensitive); a bare `"abc"` is taken as the
/// token itself; blank gives none.
pub fn bearer_token(value: &str) -> Option<&str> {
    const SCHEME: &str = "bearer ";
    let value = value.trim_start();
    let token = match value.get(..SCHEME.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(SCHEME) => &value[SCHEME.len()..],
        _ => value,
    };
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc", "  Bearer   abc  "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
    }

    #[test]
    fn a_bare_token_is_the_token_and_blanks_are_none() {
        assert_eq!(bearer_token("abc"), Some("abc"));
        assert_eq!(bearer_token(" abc "), Some("abc"));
        for blank in ["", "   ", "Bearer ", "bearer    "] {
            assert_eq!(bearer_token(blank), None, "{blank:?}");
        }
    }

    #[test]
    fn multibyte_values_do_not_panic() {
        assert_eq!(bearer_token("é"), Some("é"));
        assert_eq!(bearer_token("ééééé"), Some("ééééé"));
    }
}
