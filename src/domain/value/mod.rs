//! Validated newtypes: once built, a value is valid everywhere.

mod account_number;
mod currency;
mod email;
mod money;
mod text;
mod username;

pub use account_number::AccountNumber;
pub use currency::Currency;
pub use email::Email;
pub use money::{MAX_AMOUNT, MAX_BALANCE, MONEY_GRAMMAR, Money, OverdraftLimit, from_cents, parse_amount, to_cents};
pub use text::{Description, PersonName, SearchTerm};
pub use username::Username;

/// A refused value as an error quotes it back: at most its first 40
/// characters, control characters escaped, so an error never echoes a
/// megabyte or a NUL.
pub fn quoted(raw: &str) -> String {
    const MAX_ECHO: usize = 40;
    let shown: String = raw.chars().take(MAX_ECHO).flat_map(char::escape_debug).collect();
    let more = if raw.chars().nth(MAX_ECHO).is_some() { "…" } else { "" };
    format!("'{shown}{more}'")
}

/// What a client may do; customers act on their own things, admins on all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "CUSTOMER",
            Role::Admin => "ADMIN",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "CUSTOMER" => Some(Role::Customer),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn refused_values_are_quoted_back_short_and_escaped() {
        assert_eq!(quoted("XYZ"), "'XYZ'");
        assert_eq!(quoted(&"x".repeat(40)), format!("'{}'", "x".repeat(40)));
        assert_eq!(quoted(&"x".repeat(100_000)), format!("'{}…'", "x".repeat(40)));
        assert_eq!(quoted("a\u{0}b"), "'a\\0b'");
    }
}
