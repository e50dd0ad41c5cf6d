use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

const MAX_LEN: usize = 254;

/// An e-mail address as the client wrote it; uniqueness compares `normalized()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn new(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        let invalid = |why: &str| {
            Err(DomainError::invalid("email", format!("{} is not a valid e-mail address: {why}", super::quoted(raw))))
        };
        if value.is_empty() || value.chars().count() > MAX_LEN {
            return invalid("it must be 1 to 254 characters");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return invalid("it needs an @");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return invalid("the part before @ is malformed");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("it contains white space");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return invalid("the domain is malformed");
        }
        Ok(Email(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness: lower-case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_compares_case_insensitively() {
        let e = Email::new(" Alice.Smith+bank@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Alice.Smith+bank@Example.COM");
        assert_eq!(e.normalized(), "alice.smith+bank@example.com");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa_mple.com",
            "alice@-x.com",
        ] {
            assert!(Email::new(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
