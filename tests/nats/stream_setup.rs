//! The stream minibank creates, and the refusal to start on a stream of
//! that name that would not hold the events.

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::server_process::minibank;
use crate::support::{Names, shared_nats_url};
use crate::test_database::TestDatabase;

fn migrate(database: &TestDatabase, names: &Names) -> std::process::Output {
    let mut command = minibank(database.url());
    command.arg("migrate");
    for (key, value) in names.env() {
        command.env(key, value);
    }
    command.output().expect("minibank runs")
}

#[tokio::test]
async fn a_missing_stream_is_created_to_capture_the_events_with_a_two_minute_duplicate_window() {
    let database = TestDatabase::sqlite();
    let names = Names::on(&shared_nats_url());
    let output = migrate(&database, &names);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let js = jetstream::new(names.client().await);
    let config = js.get_stream(&names.stream).await.expect("created").cached_info().config.clone();
    assert_eq!(config.subjects, vec![format!("{}.events.>", names.prefix)]);
    assert!(config.duplicate_window >= Duration::from_secs(120), "{:?}", config.duplicate_window);
    assert_eq!(config.storage, stream::StorageType::File);
    assert_eq!(config.max_age, Duration::ZERO, "kept for ever by default");
    names.delete_stream().await;
}

#[tokio::test]
async fn an_existing_stream_that_does_not_capture_the_events_stops_the_start_with_a_clear_message() {
    let database = TestDatabase::sqlite();
    let names = Names::on(&shared_nats_url());
    let js = jetstream::new(names.client().await);
    js.create_stream(stream::Config {
        name: names.stream.clone(),
        subjects: vec![format!("{}.elsewhere.>", names.prefix)],
        ..Default::default()
    })
    .await
    .unwrap();
    let output = migrate(&database, &names);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {stderr}");
    assert!(stderr.contains("does not capture") && stderr.contains(&names.stream), "{stderr}");
    names.delete_stream().await;
}
