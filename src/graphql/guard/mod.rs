//! Bounds every document before it costs anything: the text is scanned
//! before the recursive parser sees it, and the parsed document is measured
//! (fragments expanded, in linear time) before async-graphql's validator
//! walks it. Every entry point (HTTP and both websocket protocols) prepares
//! its requests here.

mod document;
mod text;
mod variables;

use async_graphql::parser::types::OperationType;
use async_graphql::{ErrorExtensions, Name, Request, ServerError};

pub use document::{OperationShape, PASSWORD_FIELDS, SCHEMA_FIELDS};

/// Deepest nesting of `{`, `[` and `(` in a document, and of lists and
/// objects in a variable. The parser recurses once per level (about 1,800
/// levels overflowed a worker's stack); the deepest real operation of the
/// API nests about 9, and so does GraphiQL's introspection query (its
/// fragments keep the text shallow).
pub const MAX_NESTING: usize = 64;
/// Names, punctuators, numbers and strings in one document. GraphiQL's
/// introspection query has 179; a parsed token costs ~200 bytes.
pub const MAX_TOKENS: usize = 10_000;
/// Bytes of one name or number. The validator's "did you mean" compares an
/// unknown name with every known one in time proportional to its length (a
/// 1 MB field name took 6.6 s in a debug build) and its messages quote it;
/// the API's longest name (`ChangeOverdraftLimitInput`) has 25 characters.
pub const MAX_WORD_BYTES: usize = 256;
/// Selections of one operation with every fragment expanded (the
/// validator walks each). GraphiQL's introspection query has 222.
pub const MAX_SELECTIONS: usize = 2_000;
/// Root fields (aliases included) of one operation.
pub const MAX_ROOT_FIELDS: usize = 32;
/// `__schema` and `__type` fields of one operation: one full introspection
/// plus a lookup or two is all a tool needs.
pub const MAX_SCHEMA_FIELDS: usize = 3;
/// `login` and `registerClient` per request: each hashes a password.
pub const MAX_PASSWORD_FIELDS: usize = 1;

/// What the guard learnt about a request's document.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub operations: Vec<OperationShape>,
    /// Tokens of the query text (the parsed tree's size follows them).
    pub tokens: usize,
}

impl Checked {
    /// True when every root field of every operation is `__schema`, `__type` or `__typename`.
    pub fn introspection_only(&self) -> bool {
        self.operations.iter().all(|op| op.root_fields == op.root_meta_fields)
    }

    /// The operation `operation_name` selects (the only one when unnamed).
    pub fn selected(&self, operation_name: Option<&str>) -> Option<&OperationShape> {
        match operation_name {
            Some(name) => self.operations.iter().find(|op| op.name.as_deref() == Some(name)),
            None if self.operations.len() == 1 => self.operations.first(),
            None => None,
        }
    }

    pub fn is_subscription(&self, operation_name: Option<&str>) -> bool {
        self.selected(operation_name).is_some_and(|op| op.ty == Some(OperationType::Subscription))
    }

    /// Refuses a request that leaves out a variable its operation requires,
    /// as the spec's variable coercion does, before anything runs.
    fn check_required_variables(&self, request: &Request) -> Result<(), ServerError> {
        let Some(operation) = self.selected(request.operation_name.as_deref()) else {
            return Ok(());
        };
        let missing =
            operation.required_variables.iter().find(|(name, _)| !request.variables.contains_key(&Name::new(name)));
        match missing {
            Some((name, ty)) => {
                Err(refused("BAD_USER_INPUT", format!("Variable ${name} of required type {ty} was not provided.")))
            }
            None => Ok(()),
        }
    }

    /// Password-hashing fields of the operation that would run.
    pub fn password_fields(&self, operation_name: Option<&str>) -> usize {
        self.selected(operation_name).map_or(0, |op| op.password_fields)
    }
}

/// Checks the text and the variables, parses the document into `request`,
/// and checks the parsed document.
pub fn prepare(request: &mut Request) -> Result<Checked, ServerError> {
    let tokens = check_text(&request.query)?;
    check_variable_values(request)?;
    let document = request.parsed_query().map_err(|error| {
        let mut error = ServerError::new(error.to_string(), None);
        error.extensions.get_or_insert_with(Default::default).set("code", "GRAPHQL_PARSE_FAILED");
        error
    })?;
    let operations = check_document(document)?;
    let checked = Checked { operations, tokens };
    checked.check_required_variables(request)?;
    Ok(checked)
}

/// Checks the variables of a request against its document's `checked`
/// shape; a kept document comes back with other variables each time.
pub fn check_variables(checked: &Checked, request: &Request) -> Result<(), ServerError> {
    check_variable_values(request)?;
    checked.check_required_variables(request)
}

fn check_variable_values(request: &Request) -> Result<(), ServerError> {
    variables::check(&request.variables, MAX_NESTING).map_err(|bad| match bad {
        variables::BadVariables::TooDeep(name) => {
            too_complex(format!("Variable ${name} nests lists and objects more than {MAX_NESTING} levels deep."))
        }
        variables::BadVariables::Nul(name) => refused(
            "BAD_USER_INPUT",
            format!("Variable ${name} holds a NUL character (U+0000), which no text may hold."),
        ),
    })
}

fn check_text(query: &str) -> Result<usize, ServerError> {
    let shape = text::scan(query, MAX_NESTING, MAX_TOKENS);
    if shape.nesting > MAX_NESTING {
        return Err(too_complex(format!("The document nests more than {MAX_NESTING} levels deep.")));
    }
    if shape.tokens > MAX_TOKENS {
        return Err(too_complex(format!("The document has more than {MAX_TOKENS} tokens.")));
    }
    if shape.longest_word > MAX_WORD_BYTES {
        return Err(too_complex(format!("The document has a name or number longer than {MAX_WORD_BYTES} bytes.")));
    }
    if shape.nul_in_string {
        return Err(refused("BAD_USER_INPUT", "A string holds a NUL character (U+0000), which no text may hold."));
    }
    Ok(shape.tokens)
}

fn check_document(
    document: &async_graphql::parser::types::ExecutableDocument,
) -> Result<Vec<OperationShape>, ServerError> {
    let operations = document::measure(document, MAX_NESTING).map_err(|why| match why {
        document::Unmeasurable::TooDeep => {
            too_complex(format!("Selections and fragment spreads nest more than {MAX_NESTING} levels deep."))
        }
        document::Unmeasurable::Cycle(name) => {
            refused("GRAPHQL_VALIDATION_FAILED", format!("Fragment {name} spreads itself, directly or through others."))
        }
    })?;
    for op in &operations {
        if op.selections > MAX_SELECTIONS {
            return Err(too_complex(format!(
                "The operation selects {} fields and fragments once fragments are expanded; at most {MAX_SELECTIONS} are allowed.",
                op.selections
            )));
        }
        if op.root_fields > MAX_ROOT_FIELDS {
            return Err(too_complex(format!(
                "The operation has {} root fields; at most {MAX_ROOT_FIELDS} are allowed.",
                op.root_fields
            )));
        }
        if op.schema_fields > MAX_SCHEMA_FIELDS {
            return Err(too_complex(format!(
                "The operation has {} __schema/__type fields; at most {MAX_SCHEMA_FIELDS} are allowed.",
                op.schema_fields
            )));
        }
        if op.password_fields > MAX_PASSWORD_FIELDS {
            return Err(too_complex(format!(
                "At most {MAX_PASSWORD_FIELDS} login or registerClient per request; this operation has {}.",
                op.password_fields
            )));
        }
        if op.ty == Some(OperationType::Subscription) && (op.root_fields != 1 || op.root_meta_fields != 0) {
            return Err(refused(
                "GRAPHQL_VALIDATION_FAILED",
                "A subscription selects exactly one root field, and not an introspection field.",
            ));
        }
    }
    Ok(operations)
}

fn too_complex(message: String) -> ServerError {
    refused("QUERY_TOO_COMPLEX", message)
}

/// An error with its code, as the response will carry it.
pub fn refused(code: &'static str, message: impl Into<String>) -> ServerError {
    let error = async_graphql::Error::new(message).extend_with(|_, extensions| extensions.set("code", code));
    error.into_server_error(async_graphql::Pos::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTROSPECTION: &str = include_str!("../../../tests/api/introspection.graphql");

    fn code(result: Result<Checked, ServerError>) -> String {
        let error = result.expect_err("refused");
        error.extensions.and_then(|e| e.get("code").map(|c| c.to_string())).unwrap_or_default()
    }

    #[test]
    fn graphiqls_introspection_query_fits_well_within_every_limit() {
        let mut request = Request::new(INTROSPECTION);
        let checked = prepare(&mut request).unwrap();
        assert!(checked.tokens * 4 < MAX_TOKENS, "{} tokens", checked.tokens);
        let op = &checked.operations[0];
        assert!(op.selections * 4 < MAX_SELECTIONS, "{} selections", op.selections);
        assert!(checked.introspection_only());
        assert_eq!(op.schema_fields, 1);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("query($x:ID={}{}){{__typename}}", "[".repeat(2000), "]".repeat(2000));
        assert_eq!(code(prepare(&mut Request::new(deep))), "\"QUERY_TOO_COMPLEX\"");
        let objects = format!("{{ a(f: {}1{}) }}", "{g: ".repeat(100), "}".repeat(100));
        assert_eq!(code(prepare(&mut Request::new(objects))), "\"QUERY_TOO_COMPLEX\"");
    }

    #[test]
    fn too_many_password_fields_root_fields_or_schema_fields_are_refused() {
        let logins = "mutation { a: login(input: {login: \"x\", password: \"y\"}) { token } b: login(input: {login: \"x\", password: \"y\"}) { token } }";
        assert_eq!(code(prepare(&mut Request::new(logins))), "\"QUERY_TOO_COMPLEX\"");
        let aliases: String = (0..=MAX_ROOT_FIELDS).map(|i| format!("a{i}: __typename ")).collect();
        assert_eq!(code(prepare(&mut Request::new(format!("{{ {aliases} }}")))), "\"QUERY_TOO_COMPLEX\"");
        let schemas: String = (0..=MAX_SCHEMA_FIELDS).map(|i| format!("s{i}: __schema {{ description }} ")).collect();
        assert_eq!(code(prepare(&mut Request::new(format!("{{ {schemas} }}")))), "\"QUERY_TOO_COMPLEX\"");
    }

    #[test]
    fn a_subscription_has_one_root_field() {
        let two = "subscription { events { position } accountUpdated(id: \"x\") { id } }";
        assert_eq!(code(prepare(&mut Request::new(two))), "\"GRAPHQL_VALIDATION_FAILED\"");
        let meta = "subscription { __typename }";
        assert_eq!(code(prepare(&mut Request::new(meta))), "\"GRAPHQL_VALIDATION_FAILED\"");
        assert!(prepare(&mut Request::new("subscription { events { position } }")).is_ok());
    }

    #[test]
    fn nul_in_a_literal_or_a_variable_is_bad_user_input() {
        let literal = r#"{ accountByNumber(number: "12\u0000") { id } }"#;
        assert_eq!(code(prepare(&mut Request::new(literal))), "\"BAD_USER_INPUT\"");
        let variable = Request::new("query($n: String!) { accountByNumber(number: $n) { id } }")
            .variables(async_graphql::Variables::from_json(serde_json::json!({ "n": "12\u{0}" })));
        let mut variable = variable;
        assert_eq!(code(prepare(&mut variable)), "\"BAD_USER_INPUT\"");
    }

    #[test]
    fn a_name_longer_than_the_limit_is_refused_before_parsing() {
        let long = format!("{{ {} }}", "a".repeat(MAX_WORD_BYTES + 1));
        assert_eq!(code(prepare(&mut Request::new(long))), "\"QUERY_TOO_COMPLEX\"");
        let longest = format!("{{ {} }}", "a".repeat(MAX_WORD_BYTES));
        assert!(prepare(&mut Request::new(longest)).is_ok());
    }

    #[test]
    fn a_required_variable_left_out_is_bad_user_input() {
        let query = "mutation($input: MoneyInput!, $note: String) { deposit(input: $input) { position } }";
        assert_eq!(code(prepare(&mut Request::new(query))), "\"BAD_USER_INPUT\"");
        let mut given =
            Request::new(query).variables(async_graphql::Variables::from_json(serde_json::json!({ "input": {} })));
        assert!(prepare(&mut given).is_ok(), "a value of the wrong shape is the validator's to refuse");
    }

    #[test]
    fn a_syntax_error_is_a_parse_failure() {
        assert_eq!(code(prepare(&mut Request::new("{ account(id: "))), "\"GRAPHQL_PARSE_FAILED\"");
    }
}
