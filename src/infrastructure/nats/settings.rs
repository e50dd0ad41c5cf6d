use std::time::Duration;

/// The broker and the names this deployment uses on it; several deployments
/// (and tests) share one NATS through their own prefix and stream.
#[derive(Debug, Clone)]
pub struct NatsSettings {
    pub url: String,
    /// Subjects: `<prefix>.events.…`, `<prefix>.commands.…`, `<prefix>.wake`.
    pub subject_prefix: String,
    /// The JetStream stream holding the events.
    pub stream: String,
    /// How long JetStream remembers event ids to drop a re-sent event.
    pub duplicate_window: Duration,
    /// How long the stream keeps an event; `None`: for ever.
    pub max_age: Option<Duration>,
}

/// JetStream's own default, and the least the relay relies on.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

impl NatsSettings {
    pub fn new(url: impl Into<String>, subject_prefix: impl Into<String>, stream: impl Into<String>) -> Self {
        NatsSettings {
            url: url.into(),
            subject_prefix: subject_prefix.into(),
            stream: stream.into(),
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            max_age: None,
        }
    }

    /// Refuses names NATS would misread: a prefix is one or more dot-separated
    /// tokens without wildcards or spaces; a stream name has no dots either.
    pub fn validate(&self) -> anyhow::Result<()> {
        let token_ok = |t: &str| !t.is_empty() && !t.contains(['*', '>', ' ', '\t', '\r', '\n']);
        if !self.subject_prefix.split('.').all(token_ok) {
            anyhow::bail!(
                "NATS_SUBJECT_PREFIX {:?} is not a subject prefix: dot-separated tokens, without spaces, '*' or '>'",
                self.subject_prefix
            );
        }
        if !token_ok(&self.stream) || self.stream.contains(['.', '/', '\\']) {
            anyhow::bail!("NATS_STREAM {:?} is not a stream name: no spaces, '.', '*', '>', '/' or '\\'", self.stream);
        }
        if self.duplicate_window < DEFAULT_DUPLICATE_WINDOW {
            anyhow::bail!("the NATS duplicate window must be at least {} seconds", DEFAULT_DUPLICATE_WINDOW.as_secs());
        }
        if self.max_age.is_some_and(|age| age < self.duplicate_window) {
            anyhow::bail!("the NATS stream's maximum age must be at least its duplicate window");
        }
        Ok(())
    }

    pub fn events_subjects(&self) -> String {
        format!("{}.events.>", self.subject_prefix)
    }

    pub fn commands_subjects(&self) -> String {
        format!("{}.commands.>", self.subject_prefix)
    }

    pub fn command_subject_prefix(&self) -> String {
        format!("{}.commands.", self.subject_prefix)
    }

    pub fn wake_subject(&self) -> String {
        format!("{}.wake", self.subject_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_nats_would_misread_are_refused() {
        let ok = NatsSettings::new("nats://127.0.0.1:4222", "minibank.eu", "MINIBANK_EVENTS");
        assert!(ok.validate().is_ok());
        for prefix in ["", "a..b", "a.*", "a b", "minibank.>", ".a"] {
            let bad = NatsSettings { subject_prefix: prefix.into(), ..ok.clone() };
            assert!(bad.validate().is_err(), "{prefix:?}");
        }
        for stream in ["", "A.B", "A B", "A*", "a/b"] {
            let bad = NatsSettings { stream: stream.into(), ..ok.clone() };
            assert!(bad.validate().is_err(), "{stream:?}");
        }
        let short = NatsSettings { duplicate_window: Duration::from_secs(60), ..ok.clone() };
        assert!(short.validate().is_err());
    }
}
