use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

/// 3–32 characters of a-z 0-9 _ . - ; stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn new(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_lowercase();
        let len = value.chars().count();
        if !(3..=32).contains(&len) {
            return Err(DomainError::invalid("username", "must be 3 to 32 characters"));
        }
        if !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')) {
            return Err(DomainError::invalid("username", "may contain only a-z, 0-9, '_', '.' and '-'"));
        }
        Ok(Username(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_checks_length_and_alphabet() {
        assert_eq!(Username::new("Alice_01").unwrap().as_str(), "alice_01");
        assert!(Username::new("ab").is_err());
        assert!(Username::new(&"a".repeat(33)).is_err());
        assert!(Username::new("al ice").is_err());
        assert!(Username::new("alicé").is_err());
        assert!(Username::new(&"a".repeat(32)).is_ok());
    }
}
