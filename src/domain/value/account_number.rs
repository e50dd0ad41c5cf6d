use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

/// A human-readable account number: "MB" and ten digits, the last a Luhn check
/// digit, so a mistyped number is caught before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountNumber(String);

const PREFIX: &str = "MB";

fn luhn_check_digit(payload: &[u32]) -> u32 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

impl AccountNumber {
    /// Builds the number for nine payload digits (e.g. drawn at random).
    pub fn from_payload(payload: u32) -> Self {
        let digits: Vec<u32> =
            format!("{:09}", payload % 1_000_000_000).chars().filter_map(|c| c.to_digit(10)).collect();
        let check = luhn_check_digit(&digits);
        let body: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
        AccountNumber(format!("{PREFIX}{body}{check}"))
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let invalid = || {
            DomainError::invalid(
                "number",
                format!("{} is not an account number (MB and 10 digits)", super::quoted(raw)),
            )
        };
        let digits = compact.strip_prefix(PREFIX).ok_or_else(invalid)?;
        let digits: Vec<u32> = digits.chars().map(|c| c.to_digit(10)).collect::<Option<_>>().ok_or_else(invalid)?;
        if digits.len() != 10 || luhn_check_digit(&digits[..9]) != digits[9] {
            return Err(invalid());
        }
        Ok(AccountNumber(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_parse_back() {
        for payload in [0, 1, 123_456_789, 999_999_999] {
            let n = AccountNumber::from_payload(payload);
            assert_eq!(n.as_str().len(), 12);
            assert_eq!(AccountNumber::parse(n.as_str()).unwrap(), n);
        }
    }

    #[test]
    fn a_mistyped_digit_fails_the_check() {
        let n = AccountNumber::from_payload(123_456_789);
        let mut typo = n.as_str().to_string();
        let last = typo.pop().unwrap().to_digit(10).unwrap();
        typo.push(char::from_digit((last + 1) % 10, 10).unwrap());
        assert!(AccountNumber::parse(&typo).is_err());
        assert!(AccountNumber::parse("XX1234567890").is_err());
        assert_eq!(AccountNumber::parse(&n.as_str().to_lowercase()).unwrap(), n);
    }
}
