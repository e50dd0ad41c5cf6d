//! A single pass over the query text that measures what the recursive parser
//! must never see unbounded: bracket nesting and token count. It also finds
//! NUL characters inside string literals, which no text field may hold.

/// What the scan found in a document's text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TextShape {
    /// Deepest nesting of `{`, `[` and `(`: selection sets, list and object
    /// values, argument lists and list types all recurse in the parser.
    pub nesting: usize,
    pub tokens: usize,
    /// Bytes of the longest name or number.
    pub longest_word: usize,
    /// A string literal holds U+0000 (raw or as `\u0000`).
    pub nul_in_string: bool,
}

/// Scans `query`, stopping early once `max_nesting` or `max_tokens` is
/// exceeded (the shape then reports the first value over the limit).
pub fn scan(query: &str, max_nesting: usize, max_tokens: usize) -> TextShape {
    let bytes = query.as_bytes();
    let mut shape = TextShape::default();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let (end, nul) = skip_string(bytes, i);
                shape.nul_in_string |= nul;
                i = end;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                shape.nesting = shape.nesting.max(depth);
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            _ if is_word(byte) => {
                let start = i;
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                }
                shape.longest_word = shape.longest_word.max(i - start);
            }
            // Punctuators and anything the parser will refuse: one token each.
            _ => i += utf8_len(byte),
        }
        shape.tokens += 1;
        if shape.nesting > max_nesting || shape.tokens > max_tokens {
            break;
        }
    }
    shape
}

/// Names, numbers and the sign, point and exponent inside numbers.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'+' | b'.')
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Skips the string (or block string) that starts at `start`; returns the
/// index after it and whether it holds a NUL. An unterminated string runs to
/// the end (the parser reports it).
fn skip_string(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut nul = false;
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return (i + 3, nul);
            } else {
                nul |= bytes[i] == 0;
                i += 1;
            }
        }
        return (i, nul);
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                nul |= is_nul_escape(&bytes[i + 1..]);
                i += 2;
            }
            b'"' => return (i + 1, nul),
            // A line break ends an unterminated string for the parser too.
            b'\n' | b'\r' => return (i, nul),
            byte => {
                nul |= byte == 0;
                i += 1;
            }
        }
    }
    (i, nul)
}

/// `\u0000` or `\u{0}` (with any number of zeros) after the backslash.
fn is_nul_escape(rest: &[u8]) -> bool {
    let Some(rest) = rest.strip_prefix(b"u") else {
        return false;
    };
    if let Some(braced) = rest.strip_prefix(b"{") {
        let zeros = braced.iter().take_while(|&&b| b == b'0').count();
        return zeros > 0 && braced.get(zeros) == Some(&b'}');
    }
    rest.starts_with(b"0000")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(query: &str) -> TextShape {
        scan(query, usize::MAX, usize::MAX)
    }

    #[test]
    fn nesting_counts_selection_sets_lists_objects_and_arguments() {
        assert_eq!(shape("{ a }").nesting, 1);
        assert_eq!(shape("{ a { b { c } } }").nesting, 3);
        assert_eq!(shape("query($x: [[ID]] = [[1]]) { a(f: {g: {h: 1}}) }").nesting, 4);
        let deep = format!("query($x:ID={}{}){{__typename}}", "[".repeat(2000), "]".repeat(2000));
        assert_eq!(shape(&deep).nesting, 2001);
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        assert_eq!(shape(r#"{ a(s: "{{{[[[") }"#).nesting, 2);
        assert_eq!(shape("{ a(s: \"\"\"{{{ \\\"\"\" [[[\"\"\") }").nesting, 2);
        assert_eq!(shape("{ a # {{{{{{\n }").nesting, 1);
        assert_eq!(shape(r#"{ a(s: "\"{{") }"#).nesting, 2);
    }

    #[test]
    fn tokens_are_names_numbers_punctuators_and_strings() {
        assert_eq!(shape("{ a b c }").tokens, 5);
        assert_eq!(shape("query Q($x: Int = -1.5e3) { a(x: $x) ...F }").tokens, 21);
        assert_eq!(shape(r#"{ a(s: "one token, with spaces") }"#).tokens, 8);
    }

    #[test]
    fn the_longest_name_or_number_is_measured() {
        assert_eq!(shape("{ me { id } }").longest_word, 2);
        assert_eq!(shape("{ a(x: -1.5e3) }").longest_word, 6);
        assert_eq!(shape(&format!("{{ {} }}", "a".repeat(5_000))).longest_word, 5_000);
        assert_eq!(shape(&format!("{{ a(s: \"{}\") }}", "b".repeat(5_000))).longest_word, 1, "strings are no words");
    }

    #[test]
    fn the_scan_stops_at_the_first_value_over_a_limit() {
        let wide = format!("{{ {} }}", "a ".repeat(100_000));
        assert_eq!(scan(&wide, 64, 1000).tokens, 1001);
        let deep = "[".repeat(100_000);
        assert_eq!(scan(&deep, 64, usize::MAX).nesting, 65);
    }

    #[test]
    fn nul_is_found_raw_or_escaped_in_strings_only() {
        assert!(shape("{ a(s: \"x\u{0}y\") }").nul_in_string);
        assert!(shape(r#"{ a(s: "x\u0000y") }"#).nul_in_string);
        assert!(shape(r#"{ a(s: "x\u{00}y") }"#).nul_in_string);
        assert!(shape("{ a(s: \"\"\"x\u{0}\"\"\") }").nul_in_string);
        assert!(!shape(r#"{ a(s: "x\\u0000y \u00e9") }"#).nul_in_string);
        assert!(!shape(r#"{ a(s: "\u0001") }"#).nul_in_string);
    }
}
