//! What waits in a connection's outgoing queue: a message of its own, or a
//! result shared with other subscribers, which is written out only when the
//! socket takes it.

use std::sync::Arc;

use axum::extract::ws::Message;

#[derive(Debug, Clone)]
pub enum Frame {
    Message(Message),
    /// `head` (this subscriber's `{"type":"next","id":…,"payload":`), then
    /// the payload serialized once for every subscriber of one evaluation,
    /// then `}`. Queued, it costs two reference counts, not a copy.
    Shared {
        head: Arc<str>,
        payload: Arc<str>,
    },
}

impl Frame {
    pub fn into_message(self) -> Message {
        match self {
            Frame::Message(message) => message,
            Frame::Shared { head, payload } => {
                let mut text = String::with_capacity(head.len() + payload.len() + 1);
                text.push_str(&head);
                text.push_str(&payload);
                text.push('}');
                Message::Text(text.into())
            }
        }
    }
}

impl From<Message> for Frame {
    fn from(message: Message) -> Self {
        Frame::Message(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_frame_is_its_head_payload_and_brace() {
        let frame =
            Frame::Shared { head: r#"{"type":"next","id":"7","payload":"#.into(), payload: r#"{"data":1}"#.into() };
        let Message::Text(text) = frame.into_message() else { panic!("not text") };
        let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(value, serde_json::json!({"type": "next", "id": "7", "payload": {"data": 1}}));
    }
}
