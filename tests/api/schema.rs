//! The committed schema.graphql matches the code, and the code implements the contract.

use std::collections::BTreeMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

/// Contract entries built by later issues; each is removed when it lands.
const PENDING: &[&str] = &[];

#[test]
fn schema_graphql_is_exported_from_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap_or_default();
    assert!(
        committed == minibank::graphql::sdl(),
        "schema.graphql has drifted from the code: run `cargo run -- export-schema --output schema.graphql`"
    );
}

/// Every type's fields (and input fields, arguments, enum values) as "name: Type" lines.
fn signatures(sdl: &str) -> BTreeMap<String, String> {
    let document = parse_schema(sdl).expect("valid SDL");
    let mut out = BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        out.insert(name.clone(), "type".to_string());
        match &ty.node.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    let args: Vec<String> =
                        field.arguments.iter().map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node)).collect();
                    out.insert(
                        format!("{name}.{}", field.name.node),
                        format!("({}) -> {}", args.join(", "), field.ty.node),
                    );
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    out.insert(format!("{name}.{}", field.node.name.node), field.node.ty.node.to_string());
                }
            }
            TypeKind::Enum(e) => {
                for value in &e.values {
                    out.insert(format!("{name}.{}", value.node.value.node), "value".into());
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn the_code_implements_the_api_contract() {
    let contract = signatures(include_str!("../contract/minibank.graphql"));
    let ours = signatures(&minibank::graphql::sdl());
    let pending = |key: &str| PENDING.iter().any(|p| key == *p || key.starts_with(&format!("{p}.")));
    let mut missing = Vec::new();
    for (key, signature) in &contract {
        if pending(key) {
            continue;
        }
        match ours.get(key) {
            Some(ours) if ours == signature => {}
            Some(ours) => missing.push(format!("{key}: contract {signature}, ours {ours}")),
            None => missing.push(format!("{key}: missing")),
        }
    }
    assert!(missing.is_empty(), "differences from the contract:\n{}", missing.join("\n"));
}
