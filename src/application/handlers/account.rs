use uuid::Uuid;

use super::execute::{Handled, Prepared, execute};
use super::load::{Loaded, load};
use super::services::HandlerServices;
use crate::application::commands::{CashMovement, ChangeOverdraftLimit, CloseAccount, CommandMeta, OpenAccount};
use crate::application::ports::{StreamBound, UniqueClaim};
use crate::application::{Actor, AppError, access};
use crate::domain::account::{Account, AccountCommand};
use crate::domain::client::Client;
use crate::domain::value::AccountNumber;

pub async fn open(services: &HandlerServices, command: OpenAccount, meta: &CommandMeta) -> Result<Handled, AppError> {
    let owner_id = match (meta.actor, command.owner_id) {
        (Actor::Anonymous, _) => return Err(AppError::Unauthenticated),
        (Actor::Client { id, .. }, None) => id,
        (Actor::System, Some(owner)) => owner,
        (Actor::System, None) => return Err(AppError::bad_input("ownerId is required")),
        (actor, Some(owner)) if access::owns(actor, owner) => owner,
        (Actor::Client { .. }, Some(_)) => {
            return Err(AppError::forbidden("only an admin may open an account for another client"));
        }
    };
    if !command.overdraft_limit.is_zero() {
        access::privileged(meta.actor, "only an admin may grant an overdraft")?;
    }
    let owner = load::<Client>(services.store.as_ref(), &services.snapshots, owner_id, StreamBound::All).await?;
    if owner.state == Client::Unregistered {
        return Err(AppError::NotFound("client"));
    }
    let account_id = Uuid::now_v7();
    // A drawn number may collide with an existing one: its claim fails and we
    // draw again.
    for _ in 0..services.max_attempts {
        let number = AccountNumber::from_payload(services.numbers.next_payload());
        let result = execute::<Account, _>(services, account_id, meta, None, |_, _| {
            Ok(Prepared {
                command: AccountCommand::Open {
                    account_id,
                    owner_id,
                    number: number.clone(),
                    currency: command.currency.clone(),
                    overdraft_limit: command.overdraft_limit,
                },
                claims: vec![UniqueClaim {
                    scope: "account_number",
                    value: number.as_str().to_string(),
                    owner_id: account_id,
                }],
            })
        })
        .await;
        if !matches!(result, Err(AppError::AlreadyExists("account_number"))) {
            return result;
        }
    }
    Err(AppError::Unexpected(anyhow::anyhow!("could not draw a free account number")))
}

fn authorize(meta: &CommandMeta, loaded: &Loaded<Account>) -> Result<(), AppError> {
    access::own_account(meta.actor, &loaded.state).map(|_| ())
}

pub async fn deposit(
    services: &HandlerServices,
    command: CashMovement,
    meta: &CommandMeta,
) -> Result<Handled, AppError> {
    execute::<Account, _>(services, command.account_id, meta, command.expected_version, |loaded, _| {
        authorize(meta, loaded)?;
        Ok(Prepared {
            command: AccountCommand::Deposit { amount: command.amount, description: command.description.clone() },
            claims: vec![],
        })
    })
    .await
}

pub async fn withdraw(
    services: &HandlerServices,
    command: CashMovement,
    meta: &CommandMeta,
) -> Result<Handled, AppError> {
    execute::<Account, _>(services, command.account_id, meta, command.expected_version, |loaded, _| {
        authorize(meta, loaded)?;
        Ok(Prepared {
            command: AccountCommand::Withdraw { amount: command.amount, description: command.description.clone() },
            claims: vec![],
        })
    })
    .await
}

pub async fn change_overdraft_limit(
    services: &HandlerServices,
    command: ChangeOverdraftLimit,
    meta: &CommandMeta,
) -> Result<Handled, AppError> {
    access::privileged(meta.actor, "only an admin may change an overdraft limit")?;
    execute::<Account, _>(services, command.account_id, meta, command.expected_version, |loaded, _| {
        authorize(meta, loaded)?;
        Ok(Prepared { command: AccountCommand::ChangeOverdraftLimit { limit: command.limit }, claims: vec![] })
    })
    .await
}

pub async fn close(services: &HandlerServices, command: CloseAccount, meta: &CommandMeta) -> Result<Handled, AppError> {
    execute::<Account, _>(services, command.account_id, meta, command.expected_version, |loaded, _| {
        authorize(meta, loaded)?;
        Ok(Prepared { command: AccountCommand::Close, claims: vec![] })
    })
    .await
}
