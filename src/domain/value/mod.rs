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
pub use money::{MAX_AMOUNT, MAX_BALANCE, Money, OverdraftLimit, from_cents, to_cents};
pub use text::{Description, PersonName};
pub use username::Username;

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
