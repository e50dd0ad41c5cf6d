use anyhow::Context;
use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::stream::{Config, DiscardPolicy, RetentionPolicy, Stream};
use async_nats::jetstream::{self, ErrorCode};

use super::NatsSettings;

/// The stream of this deployment: created when missing (file storage, kept
/// by age or for ever, the configured duplicate window); an existing one
/// must capture `<prefix>.events.>`, or the server refuses to go on.
pub async fn ensure_stream(js: &jetstream::Context, settings: &NatsSettings) -> anyhow::Result<Stream> {
    let subjects = settings.events_subjects();
    match js.get_stream(&settings.stream).await {
        Ok(stream) => {
            let config = &stream.cached_info().config;
            if !config.subjects.iter().any(|filter| captures(filter, &subjects)) {
                anyhow::bail!(
                    "the NATS stream {} exists but does not capture {subjects} (its subjects: {}); \
                     give it that subject, or choose another stream with NATS_STREAM",
                    settings.stream,
                    config.subjects.join(", ")
                );
            }
            if config.duplicate_window < settings.duplicate_window {
                tracing::warn!(
                    stream = settings.stream,
                    window_s = config.duplicate_window.as_secs(),
                    "the NATS stream's duplicate window is shorter than configured; re-sent events may be stored twice"
                );
            }
            Ok(stream)
        }
        Err(error) if matches!(error.kind(), GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND) =>
        {
            let config = Config {
                name: settings.stream.clone(),
                description: Some("minibank: every committed event, in log order".into()),
                subjects: vec![subjects],
                retention: RetentionPolicy::Limits,
                discard: DiscardPolicy::Old,
                max_age: settings.max_age.unwrap_or_default(),
                duplicate_window: settings.duplicate_window,
                allow_direct: true,
                ..Config::default()
            };
            let stream = js
                .create_stream(config)
                .await
                .with_context(|| format!("cannot create the NATS stream {}", settings.stream))?;
            tracing::info!(stream = settings.stream, "created the NATS stream");
            Ok(stream)
        }
        Err(error) => Err(error).with_context(|| format!("cannot look up the NATS stream {}", settings.stream)),
    }
}

/// Whether every subject `pattern` matches is also matched by `filter`
/// (both NATS subjects, possibly with `*` and a final `>`).
pub fn captures(filter: &str, pattern: &str) -> bool {
    let filter: Vec<&str> = filter.split('.').collect();
    let pattern: Vec<&str> = pattern.split('.').collect();
    for (i, token) in filter.iter().enumerate() {
        match (*token, pattern.get(i)) {
            (">", Some(_)) => return true,
            (_, None) | (_, Some(&">")) => return false,
            ("*", Some(_)) => {}
            (literal, Some(other)) if literal == *other => {}
            _ => return false,
        }
    }
    filter.len() == pattern.len()
}

#[cfg(test)]
mod tests {
    use super::captures;

    #[test]
    fn a_filter_captures_what_it_matches_and_nothing_narrower_does() {
        let ours = "minibank.events.>";
        for filter in ["minibank.events.>", "minibank.>", ">", "*.events.>", "minibank.*.>"] {
            assert!(captures(filter, ours), "{filter}");
        }
        for filter in
            ["minibank.events.*", "minibank.events.account.>", "other.events.>", "minibank.events", "minibank"]
        {
            assert!(!captures(filter, ours), "{filter}");
        }
        assert!(captures("a.*.c", "a.b.c"));
        assert!(!captures("a.*", "a.b.c"));
    }
}
