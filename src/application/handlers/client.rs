use uuid::Uuid;

use super::execute::{Handled, Prepared, execute};
use super::services::HandlerServices;
use crate::application::commands::{CommandMeta, RegisterClient};
use crate::application::ports::UniqueClaim;
use crate::application::{Actor, AppError};
use crate::domain::client::{Client, ClientCommand, Registration};
use crate::domain::value::Role;

/// Registers a client; usernames and e-mails are claimed in the same
/// transaction, so concurrent registrations cannot both take one.
pub async fn register(
    services: &HandlerServices,
    command: RegisterClient,
    meta: &CommandMeta,
) -> Result<Handled, AppError> {
    if command.role == Role::Admin && meta.actor != Actor::System {
        return Err(AppError::forbidden("only the server can register administrators"));
    }
    let client_id = Uuid::now_v7();
    let password_hash = services.hasher.hash(command.password.expose()).await?;
    let registration = Registration {
        client_id,
        username: command.username,
        email: command.email,
        password_hash,
        first_name: command.first_name,
        last_name: command.last_name,
        is_company: command.is_company,
        role: command.role,
    };
    let claims = vec![
        UniqueClaim { scope: "username", value: registration.username.as_str().to_string(), owner_id: client_id },
        UniqueClaim { scope: "email", value: registration.email.normalized(), owner_id: client_id },
    ];
    let meta = CommandMeta { actor: Actor::Client { id: client_id, role: command.role }, ..meta.clone() };
    execute::<Client, _>(services, client_id, &meta, None, |_, _| {
        Ok(Prepared { command: ClientCommand::Register(registration.clone()), claims: claims.clone() })
    })
    .await
}
