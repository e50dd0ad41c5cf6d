//! GraphQL over HTTP: the response's media type follows `Accept`; in
//! `application/graphql-response+json`, a request that never reached
//! execution is a 400 without `data`, while in `application/json` every
//! GraphQL answer stays a 200.

use serde_json::{Value, json};

use crate::helpers::{message, spawn_app};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// What Apollo Client 4 sends.
const APOLLO_ACCEPT: &str = "application/graphql-response+json,application/json;q=0.9";

async fn post(app: &crate::helpers::TestApp, accept: Option<&str>, body: Value) -> (u16, String, Value) {
    let mut request = app.http.post(&app.url).json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    (status, content_type, response.json().await.unwrap())
}

#[tokio::test]
async fn request_errors_are_400_without_data_for_clients_that_accept_graphql_response_json() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "query": "{ me { id " }), "GRAPHQL_PARSE_FAILED"),
        (json!({ "query": "{ noSuchField }" }), "GRAPHQL_VALIDATION_FAILED"),
        (json!({ "query": "query($id: ID!) { account(id: $id) { id } }", "variables": {} }), "BAD_USER_INPUT"),
    ];
    for (body, code) in cases {
        let (status, content_type, answer) = post(&app, Some(APOLLO_ACCEPT), body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
        assert!(answer.get("data").is_none(), "no data key: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
    }
    let (status, answer) = get(&app, Some(GRAPHQL_RESPONSE), &[("query", "{ noSuchField }")]).await;
    assert_eq!(status, 400, "GET too: {answer}");
    assert!(answer.get("data").is_none(), "no data key: {answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{answer}");
}

/// A GET as Apollo Client sends one (its preflight header passes the CSRF
/// check): the status and the answer.
async fn get(app: &crate::helpers::TestApp, accept: Option<&str>, params: &[(&str, &str)]) -> (u16, Value) {
    let mut request = app.http.get(&app.url).query(params).header("apollo-require-preflight", "true");
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn over_get_operation_name_chooses_the_operation_of_a_document_that_has_several() {
    let app = spawn_app().await;
    let document = "query A { a: __typename } query B { b: __typename }";
    for (name, data) in [("B", json!({ "b": "Query" })), ("A", json!({ "a": "Query" }))] {
        let (status, answer) = get(&app, None, &[("query", document), ("operationName", name)]).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, json!({ "data": data }), "operationName={name}");
    }
    // The spec's query-string form, with `%20` for spaces, as browsers encode it.
    let url = format!("{}?query=query%20A%7Ba%3A__typename%7Dquery%20B%7Bb%3A__typename%7D&operationName=B", app.url);
    let answer: Value =
        app.http.get(url).header("apollo-require-preflight", "true").send().await.unwrap().json().await.unwrap();
    assert_eq!(answer, json!({ "data": { "b": "Query" } }));

    // Without a name, or with one the document lacks, nothing runs.
    for params in [vec![("query", document)], vec![("query", document), ("operationName", "C")]] {
        let (status, answer) = get(&app, None, &params).await;
        assert_eq!(status, 200, "application/json: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{params:?}: {answer}");
        assert!(answer["data"].is_null(), "{answer}");
        let (status, answer) = get(&app, Some(GRAPHQL_RESPONSE), &params).await;
        assert_eq!(status, 400, "{params:?}: {answer}");
        assert!(answer.get("data").is_none(), "{answer}");
    }
    let (_, answer) = get(&app, None, &[("query", document)]).await;
    assert!(message(&answer).contains("Operation name required"), "{answer}");
    let (_, answer) = get(&app, None, &[("query", document), ("operationName", "C")]).await;
    assert!(message(&answer).contains("Unknown operation named \"C\""), "{answer}");

    // An empty name is no name: a document's only operation runs.
    let (status, answer) = get(&app, None, &[("query", "query Only { __typename }"), ("operationName", "")]).await;
    assert_eq!((status, answer), (200, json!({ "data": { "__typename": "Query" } })));
}

#[tokio::test]
async fn over_get_the_operation_named_decides_whether_it_is_a_mutation() {
    let app = spawn_app().await;
    let document = r#"query Read { __typename } mutation Write { login(input: { login: "nobody", password: "wrong password" }) { token } }"#;
    let (status, answer) = get(&app, None, &[("query", document), ("operationName", "Read")]).await;
    assert_eq!((status, answer), (200, json!({ "data": { "__typename": "Query" } })));
    let response = app
        .http
        .get(&app.url)
        .query(&[("query", document), ("operationName", "Write")])
        .header("apollo-require-preflight", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{answer}");
}

#[tokio::test]
async fn errors_during_execution_stay_200_with_data_in_graphql_response_json() {
    let app = spawn_app().await;
    let (status, content_type, answer) = post(&app, Some(APOLLO_ACCEPT), json!({ "query": "{ me { id } }" })).await;
    assert_eq!(status, 200, "{answer}");
    assert!(content_type.starts_with(GRAPHQL_RESPONSE));
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(answer.get("data").is_some(), "execution started: data is there (null): {answer}");
    let (status, _, answer) = post(&app, Some(APOLLO_ACCEPT), json!({ "query": "{ __typename }" })).await;
    assert_eq!((status, &answer["data"]["__typename"]), (200, &json!("Query")));
    // Apollo's persisted-query link resends the query on this 200.
    let hash_only = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } });
    let (status, _, answer) = post(&app, Some(APOLLO_ACCEPT), hash_only).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn star_and_application_json_get_application_json_where_every_graphql_answer_is_200() {
    let app = spawn_app().await;
    // reqwest sends `Accept: */*` when it is given none.
    for accept in [None, Some("application/json"), Some("*/*")] {
        let (status, content_type, answer) = post(&app, accept, json!({ "query": "{ noSuchField }" })).await;
        assert_eq!(status, 200, "{accept:?}: {answer}");
        assert!(content_type.starts_with("application/json"), "{accept:?}: {content_type}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    }
}

/// Since the spec's watershed (2025-01-01), a request with no `Accept` at
/// all is answered as if it accepted `application/graphql-response+json`.
/// reqwest always sends an `Accept`, so this request is written by hand.
#[tokio::test]
async fn a_request_without_accept_gets_graphql_response_json() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let body = r#"{"query":"{ noSuchField }"}"#;
    let mut stream = tokio::net::TcpStream::connect(app.server.addr).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        app.server.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, answer) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(head.to_ascii_lowercase().contains(&format!("content-type: {GRAPHQL_RESPONSE}")), "{head}");
    let answer: Value = serde_json::from_str(answer).unwrap();
    assert!(answer.get("data").is_none(), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{answer}");
}
