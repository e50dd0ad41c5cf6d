//! GraphQL over HTTP: the response's media type follows `Accept`; in
//! `application/graphql-response+json`, a request that never reached
//! execution is a 400 without `data`, while in `application/json` every
//! GraphQL answer stays a 200.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

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
    let get = app
        .http
        .get(format!("{}?query=%7B%20noSuchField%20%7D", app.url))
        .header("accept", GRAPHQL_RESPONSE)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 400, "GET too");
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
async fn application_json_is_the_default_and_every_graphql_answer_is_200_in_it() {
    let app = spawn_app().await;
    for accept in [None, Some("application/json"), Some("*/*")] {
        let (status, content_type, answer) = post(&app, accept, json!({ "query": "{ noSuchField }" })).await;
        assert_eq!(status, 200, "{accept:?}: {answer}");
        assert!(content_type.starts_with("application/json"), "{accept:?}: {content_type}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    }
}
