use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

fn bounded(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(DomainError::invalid(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(value.to_string())
}

/// A first or last name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn new(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let value = bounded(field, raw, 100)?;
        if value.is_empty() {
            return Err(DomainError::invalid(field, "must not be empty"));
        }
        Ok(PersonName(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-text note on a movement of money: at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    /// `None` and blank text both mean "no description".
    pub fn optional(raw: Option<&str>) -> Result<Option<Self>, DomainError> {
        match raw.map(|r| bounded("description", r, 200)).transpose()? {
            Some(text) if !text.is_empty() => Ok(Some(Description(text))),
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an admin looks clients up by: at most 100 characters, matched as a
/// substring; the bound keeps a search from costing more than a page of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm(String);

impl SearchTerm {
    pub const MAX_CHARS: usize = 100;

    /// `None` and blank text both mean "no search".
    pub fn optional(raw: Option<&str>) -> Result<Option<Self>, DomainError> {
        match raw.map(|r| bounded("search", r, Self::MAX_CHARS)).transpose()? {
            Some(text) if !text.is_empty() => Ok(Some(SearchTerm(text))),
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_non_empty_and_bounded() {
        assert_eq!(PersonName::new("firstName", "  Ada ").unwrap().as_str(), "Ada");
        assert!(PersonName::new("firstName", "   ").is_err());
        assert!(PersonName::new("lastName", &"x".repeat(101)).is_err());
        assert!(PersonName::new("lastName", &"é".repeat(100)).is_ok());
    }

    #[test]
    fn descriptions_are_optional_and_bounded() {
        assert_eq!(Description::optional(None).unwrap(), None);
        assert_eq!(Description::optional(Some("  ")).unwrap(), None);
        assert!(Description::optional(Some(&"x".repeat(201))).is_err());
        assert!(Description::optional(Some("rent\u{0}")).is_err());
        assert_eq!(Description::optional(Some("rent")).unwrap().unwrap().as_str(), "rent");
    }

    #[test]
    fn search_terms_are_optional_bounded_and_free_of_control_characters() {
        assert_eq!(SearchTerm::optional(Some("   ")).unwrap(), None);
        assert_eq!(SearchTerm::optional(Some(" ann ")).unwrap().unwrap().as_str(), "ann");
        assert!(SearchTerm::optional(Some(&"é".repeat(100))).unwrap().is_some());
        for bad in ["x".repeat(101), "ann\u{0}".to_string(), "a\u{7}b".to_string()] {
            let error = SearchTerm::optional(Some(&bad)).unwrap_err();
            assert!(matches!(error, DomainError::InvalidValue { field: "search", .. }), "{error:?}");
        }
    }
}
