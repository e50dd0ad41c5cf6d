//! Measures a parsed document with every fragment expanded, in time linear in
//! its size: each fragment is measured once and its spreads reuse the result,
//! so fragments that spread each other twice per level (2^n fields from n
//! lines) cost n steps here, not 2^n in the validator.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

/// Fields whose resolution checks a password (Argon2: tens of milliseconds).
pub const PASSWORD_FIELDS: [&str; 2] = ["login", "registerClient"];
/// Root fields that answer from the schema itself.
pub const SCHEMA_FIELDS: [&str; 2] = ["__schema", "__type"];

/// One operation, with fragments expanded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationShape {
    pub name: Option<String>,
    pub ty: Option<OperationType>,
    /// Every selection (field, spread, inline fragment) at every level.
    pub selections: usize,
    pub root_fields: usize,
    /// Root fields named `__…` (`__typename`, `__schema`, `__type`).
    pub root_meta_fields: usize,
    pub schema_fields: usize,
    pub password_fields: usize,
    /// Variables of a non-null type without a default, each with its type:
    /// a request must give them (async-graphql would only notice while
    /// resolving, and answer with an unclassified error).
    pub required_variables: Vec<(String, String)>,
}

/// Why a document could not be measured.
#[derive(Debug, PartialEq, Eq)]
pub enum Unmeasurable {
    /// Selection sets and fragment spreads nest deeper than allowed.
    TooDeep,
    /// The fragment spreads itself, directly or through others.
    Cycle(String),
}

/// A spread or an inline fragment: no field, but one more step to walk.
const ONE_SELECTION: Counts =
    Counts { selections: 1, root_fields: 0, root_meta_fields: 0, schema_fields: 0, password_fields: 0 };

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    selections: usize,
    root_fields: usize,
    root_meta_fields: usize,
    schema_fields: usize,
    password_fields: usize,
}

impl Counts {
    fn add(self, other: Counts) -> Counts {
        Counts {
            selections: self.selections.saturating_add(other.selections),
            root_fields: self.root_fields.saturating_add(other.root_fields),
            root_meta_fields: self.root_meta_fields.saturating_add(other.root_meta_fields),
            schema_fields: self.schema_fields.saturating_add(other.schema_fields),
            password_fields: self.password_fields.saturating_add(other.password_fields),
        }
    }
}

/// Shapes of every operation of `document`; `max_depth` bounds how deep
/// selection sets and fragment spreads may nest together (the walk recurses).
pub fn measure(document: &ExecutableDocument, max_depth: usize) -> Result<Vec<OperationShape>, Unmeasurable> {
    let mut walk = Walk { document, max_depth, fragments: HashMap::new() };
    document
        .operations
        .iter()
        .map(|(name, operation)| {
            let counts = walk.selection_set(&operation.node.selection_set.node, 0)?;
            Ok(OperationShape {
                name: name.map(|name| name.to_string()),
                ty: Some(operation.node.ty),
                selections: counts.selections,
                root_fields: counts.root_fields,
                root_meta_fields: counts.root_meta_fields,
                schema_fields: counts.schema_fields,
                password_fields: counts.password_fields,
                required_variables: operation
                    .node
                    .variable_definitions
                    .iter()
                    .map(|definition| &definition.node)
                    .filter(|definition| !definition.var_type.node.nullable && definition.default_value.is_none())
                    .map(|definition| (definition.name.node.to_string(), definition.var_type.node.to_string()))
                    .collect(),
            })
        })
        .collect()
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    max_depth: usize,
    /// Counts of each fragment as if spread at the root; `None` while it is
    /// being measured. Cycles are refused here: the validator's own depth
    /// check would walk a doubling cycle's 2^depth paths before noticing.
    fragments: HashMap<&'a Name, Option<Counts>>,
}

impl<'a> Walk<'a> {
    /// Counts of `set` as if it were an operation's root selection set.
    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<Counts, Unmeasurable> {
        if depth > self.max_depth {
            return Err(Unmeasurable::TooDeep);
        }
        let mut counts = Counts::default();
        for selection in &set.items {
            let more = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let below = self.selection_set(&field.node.selection_set.node, depth + 1)?;
                    Counts {
                        selections: below.selections.saturating_add(1),
                        root_fields: 1,
                        root_meta_fields: usize::from(name.starts_with("__")),
                        schema_fields: usize::from(SCHEMA_FIELDS.contains(&name)),
                        password_fields: usize::from(PASSWORD_FIELDS.contains(&name)),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node, depth + 1)?.add(ONE_SELECTION)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node, depth + 1)?.add(ONE_SELECTION)
                }
            };
            counts = counts.add(more);
        }
        Ok(counts)
    }

    fn fragment(&mut self, name: &'a Name, depth: usize) -> Result<Counts, Unmeasurable> {
        match self.fragments.get(name) {
            Some(Some(counts)) => return Ok(*counts),
            Some(None) => return Err(Unmeasurable::Cycle(name.to_string())),
            None => {}
        }
        let Some(definition) = self.document.fragments.get(name) else {
            // Validation reports the unknown fragment.
            return Ok(Counts::default());
        };
        self.fragments.insert(name, None);
        let counts = self.selection_set(&definition.node.selection_set.node, depth)?;
        self.fragments.insert(name, Some(counts));
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(query: &str) -> Vec<OperationShape> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        measure(&document, 64).unwrap()
    }

    #[test]
    fn fields_are_counted_with_fragments_expanded() {
        let [shape] = &shapes("{ me { id ...F } accounts { totalCount } } fragment F on Client { username email }")[..]
        else {
            panic!()
        };
        assert_eq!(shape.selections, 7);
        assert_eq!(shape.root_fields, 2);
        assert_eq!(shape.root_meta_fields, 0);
    }

    #[test]
    fn root_fields_reached_through_fragments_count_as_root_fields() {
        let [shape] = &shapes(
            "mutation { ...M ... on Mutation { b: login(input: $i) { token } } } \
             fragment M on Mutation { a: login(input: $i) { token } registerClient(input: $j) { token } }",
        )[..] else {
            panic!()
        };
        assert_eq!(shape.root_fields, 3);
        assert_eq!(shape.password_fields, 3);
        assert_eq!(shape.ty, Some(OperationType::Mutation));
    }

    #[test]
    fn schema_and_meta_fields_are_told_apart() {
        let [shape] =
            &shapes("{ __typename a: __schema { types { name } } __type(name: \"X\") { name } me { id } }")[..]
        else {
            panic!()
        };
        assert_eq!(shape.root_fields, 4);
        assert_eq!(shape.root_meta_fields, 3);
        assert_eq!(shape.schema_fields, 2);
    }

    #[test]
    fn doubling_fragments_are_measured_in_linear_time() {
        let mut query = String::from("{ ...F0 }\n");
        for level in 0..60 {
            query.push_str(&format!("fragment F{level} on Query {{ ...F{next} ...F{next} }}\n", next = level + 1));
        }
        query.push_str("fragment F60 on Query { __typename }\n");
        let document = async_graphql::parser::parse_query(&query).unwrap();
        // 2^60 fields and 2^61 - 2 spreads, plus the root spread.
        assert_eq!(measure(&document, 64).unwrap()[0].selections, (1 << 60) + (1 << 61) - 1);
        assert_eq!(measure(&document, 32), Err(Unmeasurable::TooDeep));
    }

    #[test]
    fn non_null_variables_without_a_default_are_required() {
        let [shape] = &shapes("query($a: ID!, $b: ID, $c: Int! = 1, $d: [ID!]!) { __typename }")[..] else { panic!() };
        let names: Vec<_> = shape.required_variables.iter().map(|(name, ty)| format!("{name}: {ty}")).collect();
        assert_eq!(names, ["a: ID!", "d: [ID!]!"]);
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let query = "{ ...A } fragment A on Query { __typename ...B ...B } fragment B on Query { ...A ...A }";
        let document = async_graphql::parser::parse_query(query).unwrap();
        assert!(matches!(measure(&document, 64), Err(Unmeasurable::Cycle(_))));
    }
}
