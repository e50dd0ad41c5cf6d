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

/// What introspection tells a codegen tool or GraphiQL: this API's own
/// description, the format of `DateTime` with its `@specifiedBy`, and a
/// description on every type, field, argument, input field and enum value.
#[tokio::test]
async fn introspection_describes_every_type_field_and_argument() {
    let app = crate::helpers::spawn_app().await;
    let query = "{ __schema { description types { name description \
        fields(includeDeprecated: true) { name description args { name description } } \
        inputFields { name description } enumValues(includeDeprecated: true) { name description } } } \
        __type(name: \"DateTime\") { description specifiedByURL } }";
    let response = app.gql(None, query, serde_json::json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let schema = &response["data"]["__schema"];
    let description = schema["description"].as_str().unwrap_or_default();
    assert!(description.starts_with("minibank"), "generic schema description: {description}");

    let date_time = &response["data"]["__type"];
    assert_eq!(date_time["specifiedByURL"], "https://datatracker.ietf.org/doc/html/rfc3339");
    assert!(date_time["description"].as_str().unwrap_or_default().contains("RFC 3339"), "{date_time}");

    let described = |value: &serde_json::Value| value["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    let list = |value: &serde_json::Value| value.as_array().cloned().unwrap_or_default();
    let mut undescribed = Vec::new();
    for ty in list(&schema["types"]) {
        let name = ty["name"].as_str().unwrap_or_default().to_owned();
        if name.starts_with("__") {
            continue;
        }
        if !described(&ty) {
            undescribed.push(name.clone());
        }
        for field in list(&ty["fields"]) {
            if !described(&field) {
                undescribed.push(format!("{name}.{}", field["name"]));
            }
            for arg in list(&field["args"]) {
                if !described(&arg) {
                    undescribed.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for member in list(&ty["inputFields"]).iter().chain(list(&ty["enumValues"]).iter()) {
            if !described(member) {
                undescribed.push(format!("{name}.{}", member["name"]));
            }
        }
    }
    assert!(undescribed.is_empty(), "without a description: {undescribed:?}");
}
