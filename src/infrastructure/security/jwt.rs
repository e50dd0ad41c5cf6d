use anyhow::Context;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::application::ports::{IssuedToken, TokenClaims, TokenService};
use crate::domain::value::Role;

const ISSUER: &str = "minibank";
const AUDIENCE: &str = "minibank";
/// Tolerated clock skew between servers, in seconds; kept small so that an
/// expired token stops working almost at once.
const LEEWAY_SECONDS: u64 = 5;
/// How far in the future `iat` and `nbf` may lie, in seconds. A token from
/// the future was not issued by a server with a sane clock; a minute forgives
/// skew between instances without letting such a token through.
const FUTURE_LEEWAY_SECONDS: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    iat: i64,
    exp: i64,
    /// Never issued by this server, but honoured when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    iss: String,
    aud: String,
}

/// HS256 bearer tokens signed with a server secret. The algorithm is pinned,
/// so a token cannot choose how it is checked ("none", RS/HS confusion).
pub struct JwtTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: chrono::Duration,
}

impl JwtTokens {
    pub fn new(secret: &[u8], ttl: chrono::Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        JwtTokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }
}

impl std::fmt::Debug for JwtTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtTokens").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl TokenService for JwtTokens {
    fn issue(&self, client_id: Uuid, role: Role) -> anyhow::Result<IssuedToken> {
        let issued_at = Utc::now();
        let expires_at = issued_at.checked_add_signed(self.ttl).context("the token lifetime overflows the calendar")?;
        let claims = Claims {
            sub: client_id.to_string(),
            role: role.as_str().to_string(),
            iat: issued_at.timestamp(),
            exp: expires_at.timestamp(),
            nbf: None,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("signing a token failed")?;
        // What the token says, to the second, rather than the sub-second instant.
        let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at);
        Ok(IssuedToken { token, expires_at })
    }

    fn verify(&self, token: &str) -> Option<TokenClaims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let claims = data.claims;
        // `Validation::validate_nbf` would use the exp leeway; both are checked here alike.
        let latest_start = Utc::now().timestamp().saturating_add(FUTURE_LEEWAY_SECONDS);
        if claims.iat > latest_start || claims.nbf.is_some_and(|nbf| nbf > latest_start) {
            return None;
        }
        Some(TokenClaims {
            client_id: Uuid::parse_str(&claims.sub).ok()?,
            role: Role::parse(&claims.role)?,
            expires_at: DateTime::from_timestamp(claims.exp, 0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::Duration;

    use super::*;

    const SECRET: &[u8] = b"a test secret of thirty-two bytes";

    fn tokens() -> JwtTokens {
        JwtTokens::new(SECRET, Duration::minutes(15))
    }

    fn sign(claims: &serde_json::Value, secret: &[u8]) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn claims_json(overrides: serde_json::Value) -> serde_json::Value {
        let now = Utc::now().timestamp();
        let mut claims = serde_json::json!({
            "sub": Uuid::now_v7().to_string(),
            "role": "CUSTOMER",
            "iat": now,
            "exp": now + 600,
            "iss": "minibank",
            "aud": "minibank",
        });
        for (key, value) in overrides.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    }

    #[test]
    fn an_issued_token_verifies_to_its_client_and_role() {
        let tokens = tokens();
        let id = Uuid::now_v7();
        let issued = tokens.issue(id, Role::Admin).unwrap();
        let claims = tokens.verify(&issued.token).unwrap();
        assert_eq!(claims.client_id, id);
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.expires_at, issued.expires_at);
        let lifetime = issued.expires_at - Utc::now();
        assert!(lifetime > Duration::minutes(14) && lifetime <= Duration::minutes(15));
    }

    #[test]
    fn the_header_pins_hs256() {
        let issued = tokens().issue(Uuid::now_v7(), Role::Customer).unwrap();
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let expired = JwtTokens::new(SECRET, Duration::seconds(-30));
        let issued = expired.issue(Uuid::now_v7(), Role::Customer).unwrap();
        assert_eq!(tokens().verify(&issued.token), None);
        assert_eq!(expired.verify(&issued.token), None);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let other = JwtTokens::new(b"another secret, just as long....", Duration::minutes(15));
        let forged = other.issue(Uuid::now_v7(), Role::Admin).unwrap();
        assert_eq!(tokens().verify(&forged.token), None);
    }

    #[test]
    fn a_token_for_another_audience_or_issuer_is_refused() {
        let tokens = tokens();
        assert!(tokens.verify(&sign(&claims_json(serde_json::json!({})), SECRET)).is_some());
        for overrides in [
            serde_json::json!({ "aud": "elsewhere" }),
            serde_json::json!({ "iss": "elsewhere" }),
            serde_json::json!({ "aud": null }),
            serde_json::json!({ "iss": null }),
        ] {
            let token = sign(&claims_json(overrides.clone()), SECRET);
            assert_eq!(tokens.verify(&token), None, "{overrides} should be refused");
        }
    }

    #[test]
    fn unknown_roles_and_non_uuid_subjects_are_refused() {
        let tokens = tokens();
        for overrides in [
            serde_json::json!({ "role": "ROOT" }),
            serde_json::json!({ "role": "admin" }),
            serde_json::json!({ "sub": "alice" }),
            serde_json::json!({ "exp": null }),
        ] {
            let token = sign(&claims_json(overrides.clone()), SECRET);
            assert_eq!(tokens.verify(&token), None, "{overrides} should be refused");
        }
    }

    #[test]
    fn unsigned_and_garbage_tokens_are_refused() {
        let tokens = tokens();
        let body = URL_SAFE_NO_PAD.encode(claims_json(serde_json::json!({})).to_string());
        for header in [r#"{"alg":"none","typ":"JWT"}"#, r#"{"alg":"HS512","typ":"JWT"}"#] {
            let header = URL_SAFE_NO_PAD.encode(header);
            assert_eq!(tokens.verify(&format!("{header}.{body}.")), None);
        }
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims_json(serde_json::json!({})),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(tokens.verify(&hs512), None);
        for garbage in ["", "garbage", "a.b.c", "..", "Bearer x.y.z"] {
            assert_eq!(tokens.verify(garbage), None, "{garbage:?} should be refused");
        }
    }

    #[test]
    fn a_token_issued_or_valid_only_in_the_future_is_refused() {
        let tokens = tokens();
        let now = Utc::now().timestamp();
        for claims in [
            serde_json::json!({ "iat": now + 120 }),
            serde_json::json!({ "nbf": now + 120 }),
            serde_json::json!({ "iat": now + 86_400, "exp": now + 90_000 }),
            serde_json::json!({ "nbf": i64::MAX }),
            serde_json::json!({ "iat": i64::MAX }),
            serde_json::json!({ "iat": null }),
            serde_json::json!({ "nbf": "soon" }),
        ] {
            let token = sign(&claims_json(claims.clone()), SECRET);
            assert_eq!(tokens.verify(&token), None, "{claims} should be refused");
        }
    }

    #[test]
    fn a_little_clock_skew_in_iat_and_nbf_is_forgiven() {
        let tokens = tokens();
        let now = Utc::now().timestamp();
        for claims in [
            serde_json::json!({ "iat": now + 30 }),
            serde_json::json!({ "nbf": now + 30 }),
            serde_json::json!({ "nbf": now - 30 }),
        ] {
            let token = sign(&claims_json(claims.clone()), SECRET);
            assert!(tokens.verify(&token).is_some(), "{claims} should be accepted");
        }
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let tokens = tokens();
        let issued = tokens.issue(Uuid::now_v7(), Role::Customer).unwrap();
        let parts: Vec<&str> = issued.token.split('.').collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        payload["role"] = "ADMIN".into();
        let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
        assert_eq!(tokens.verify(&tampered), None);
    }
}
