//! The same bounds for variables as for literals in the query text.

use async_graphql::{Name, Value, Variables};

#[derive(Debug, PartialEq, Eq)]
pub enum BadVariables {
    /// The variable's value nests lists and objects deeper than allowed.
    TooDeep(Name),
    /// A string (or an object key) in the variable holds U+0000.
    Nul(Name),
}

/// Checks every variable; JSON decoding already bounds the depth to serde_json's
/// recursion limit, so this walk's own recursion is bounded too.
pub fn check(variables: &Variables, max_nesting: usize) -> Result<(), BadVariables> {
    for (name, value) in variables.iter() {
        match walk(value, 0, max_nesting) {
            Ok(()) => {}
            Err(Found::TooDeep) => return Err(BadVariables::TooDeep(name.clone())),
            Err(Found::Nul) => return Err(BadVariables::Nul(name.clone())),
        }
    }
    Ok(())
}

enum Found {
    TooDeep,
    Nul,
}

fn walk(value: &Value, depth: usize, max_nesting: usize) -> Result<(), Found> {
    match value {
        Value::String(text) if text.contains('\0') => Err(Found::Nul),
        Value::List(items) => {
            deeper(depth, max_nesting)?;
            items.iter().try_for_each(|item| walk(item, depth + 1, max_nesting))
        }
        Value::Object(fields) => {
            deeper(depth, max_nesting)?;
            fields.iter().try_for_each(|(key, item)| {
                if key.contains('\0') {
                    return Err(Found::Nul);
                }
                walk(item, depth + 1, max_nesting)
            })
        }
        _ => Ok(()),
    }
}

fn deeper(depth: usize, max_nesting: usize) -> Result<(), Found> {
    if depth >= max_nesting { Err(Found::TooDeep) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(json: serde_json::Value) -> Variables {
        Variables::from_json(json)
    }

    fn nested(depth: usize) -> serde_json::Value {
        (0..depth).fold(serde_json::json!(1), |inner, _| serde_json::json!([inner]))
    }

    #[test]
    fn nesting_up_to_the_limit_passes() {
        assert_eq!(check(&variables(serde_json::json!({ "x": nested(4) })), 4), Ok(()));
        assert_eq!(
            check(&variables(serde_json::json!({ "x": nested(5) })), 4),
            Err(BadVariables::TooDeep(Name::new("x")))
        );
        let object = serde_json::json!({ "x": { "a": { "b": { "c": 1 } } } });
        assert_eq!(check(&variables(object), 2), Err(BadVariables::TooDeep(Name::new("x"))));
    }

    #[test]
    fn nul_is_found_in_strings_and_keys_at_any_depth() {
        let value = serde_json::json!({ "ok": "fine", "input": { "login": ["a", "b\u{0}"] } });
        assert_eq!(check(&variables(value), 64), Err(BadVariables::Nul(Name::new("input"))));
        let key = serde_json::json!({ "input": { "lo\u{0}gin": "a" } });
        assert_eq!(check(&variables(key), 64), Err(BadVariables::Nul(Name::new("input"))));
        assert_eq!(check(&variables(serde_json::json!({ "s": "caf\u{e9} \u{1}" })), 64), Ok(()));
    }
}
