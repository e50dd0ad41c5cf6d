//! The GraphQL mutation each command runs as, selecting its payload in
//! full: every scalar field of the payload, its account (with the owner) or
//! transfer, and its events. The other side of a transfer shows its public
//! face (id, number, currency, status), as it does over GraphQL to a
//! customer who does not own it.

/// The commands other services may send, with the input type each takes.
pub const COMMANDS: [(&str, &str); 6] = [
    ("openAccount", "OpenAccountInput"),
    ("deposit", "MoneyInput"),
    ("withdraw", "MoneyInput"),
    ("transfer", "TransferInput"),
    ("closeAccount", "CloseAccountInput"),
    ("changeOverdraftLimit", "ChangeOverdraftLimitInput"),
];

const EVENT: &str = "fragment EventFields on Event { id position streamId streamType version type schemaVersion data \
     metadata { correlationId causationId commandId actorId } recordedAt }";

const ACCOUNT: &str = "fragment AccountFields on Account { id number \
     owner { id username email firstName lastName isCompany role createdAt version } \
     currency balance overdraftLimit availableBalance status version openedAt updatedAt }";

const ACCOUNT_PAYLOAD: &str = "account { ...AccountFields } events { ...EventFields } position";

const TRANSFER_PAYLOAD: &str = "transfer { id from { ...AccountFields } to { id number currency status } amount \
     description status failureReason requestedAt completedAt } events { ...EventFields }";

/// The document for `command`, or `None` for a name that is not a command.
pub fn document(command: &str) -> Option<String> {
    let (name, input) = COMMANDS.iter().find(|(name, _)| *name == command)?;
    let payload = if *name == "transfer" { TRANSFER_PAYLOAD } else { ACCOUNT_PAYLOAD };
    Some(format!(
        "mutation NatsCommand($input: {input}!) {{ {name}(input: $input) {{ {payload} }} }} {ACCOUNT} {EVENT}"
    ))
}

#[cfg(test)]
mod tests {
    use async_graphql::Request;

    use super::*;

    #[test]
    fn every_document_passes_the_guard_and_unknown_names_have_none() {
        for (name, _) in COMMANDS {
            let text = document(name).unwrap();
            let mut request =
                Request::new(text).variables(async_graphql::Variables::from_json(serde_json::json!({ "input": {} })));
            crate::graphql::guard::prepare(&mut request).unwrap_or_else(|e| panic!("{name}: {}", e.message));
        }
        assert!(document("registerClient").is_none(), "signing up is not a command of other services");
        assert!(document("login").is_none());
        assert!(document("").is_none());
    }
}
