//! The two GraphQL-over-WebSocket subprotocols clients speak.

/// A subprotocol, as negotiated through `Sec-WebSocket-Protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`: the graphql-ws library, Apollo `GraphQLWsLink`,
    /// GraphiQL.
    GraphqlTransportWs,
    /// `graphql-ws`: the legacy subscriptions-transport-ws protocol.
    GraphqlWs,
}

impl Protocol {
    /// Every subprotocol we speak, preferred first; pass it to
    /// `WebSocketUpgrade::protocols`.
    pub const ALL: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The protocol named by a `Sec-WebSocket-Protocol` value. A
    /// comma-separated list is accepted and resolved in our order of
    /// preference (as `WebSocketUpgrade::protocols(Protocol::ALL)` does), so
    /// the raw request header and the selected protocol agree.
    pub fn from_header(value: &str) -> Option<Self> {
        let offered = |name: &str| value.split(',').any(|p| p.trim() == name);
        [Self::GraphqlTransportWs, Self::GraphqlWs].into_iter().find(|p| offered(p.name()))
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::GraphqlTransportWs => Self::ALL[0],
            Self::GraphqlWs => Self::ALL[1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in Protocol::ALL {
            assert_eq!(Protocol::from_header(name).map(Protocol::name), Some(name));
        }
    }

    #[test]
    fn lists_resolve_in_our_order() {
        assert_eq!(Protocol::from_header("graphql-ws, graphql-transport-ws"), Some(Protocol::GraphqlTransportWs));
        assert_eq!(Protocol::from_header("soap,graphql-ws"), Some(Protocol::GraphqlWs));
        assert_eq!(Protocol::from_header("soap"), None);
        assert_eq!(Protocol::from_header(""), None);
    }
}
