//! Relay-style forward pagination: `first` (default 20, at most 100) and an
//! opaque `after` cursor that wraps an integer sort key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::AppError;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Items strictly after this key in the list's order.
    pub after: Option<i64>,
    pub first: u64,
    /// Whether to count every item of the list too (`totalCount`); counting
    /// reads the whole list, so it is skipped when nobody asked.
    pub count_total: bool,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self, AppError> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(AppError::bad_input("first must not be negative")),
            Some(n) => (n as u64).min(MAX_PAGE_SIZE),
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(PageRequest { after, first, count_total: true })
    }

    /// The same page, without counting the whole list.
    pub fn without_total(self) -> Self {
        PageRequest { count_total: false, ..self }
    }

    /// `count()` when the total was asked for, else 0 (never shown).
    pub async fn total<F, E>(&self, count: F) -> Result<u64, E>
    where
        F: std::future::Future<Output = Result<u64, E>>,
    {
        if self.count_total { count.await } else { Ok(0) }
    }
}

/// One page of items, each with its sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<(i64, T)>,
    pub has_next_page: bool,
    /// 0 when the request did not ask for it (`count_total`).
    pub total_count: u64,
}

impl<T> Page<T> {
    /// Builds a page from up to `first + 1` fetched rows; the extra row only
    /// tells that there is a next page.
    pub fn from_rows(mut items: Vec<(i64, T)>, first: u64, total_count: u64) -> Self {
        let has_next_page = items.len() as u64 > first;
        items.truncate(first as usize);
        Page { items, has_next_page, total_count }
    }
}

pub fn encode_cursor(key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

pub fn decode_cursor(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("k:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::bad_input(format!("'{cursor}' is not a valid cursor")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_20_and_is_capped_at_100() {
        assert_eq!(PageRequest::new(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::new(Some(1000), None).unwrap().first, 100);
        assert_eq!(PageRequest::new(Some(0), None).unwrap().first, 0);
        assert!(PageRequest::new(Some(-1), None).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor(42);
        assert_eq!(PageRequest::new(None, Some(&cursor)).unwrap().after, Some(42));
        assert!(decode_cursor("not a cursor").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("k:x")).is_err());
    }

    #[test]
    fn an_extra_row_means_a_next_page() {
        let page = Page::from_rows(vec![(1, 'a'), (2, 'b'), (3, 'c')], 2, 3);
        assert!(page.has_next_page);
        assert_eq!(page.items.len(), 2);
        assert!(!Page::from_rows(vec![(1, 'a')], 2, 1).has_next_page);
    }
}
