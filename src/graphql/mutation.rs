use async_graphql::{Context, Object};
use uuid::Uuid;

use super::errors::OrGql;
use super::inputs::{
    ChangeOverdraftLimitInput, CloseAccountInput, LoginInput, MoneyInput, OpenAccountInput, RegisterClientInput,
    TransferInput,
};
use super::request::{actor, app};
use super::scalars::Position;
use super::types::{Account, AccountPayload, AuthPayload, Event, Transfer, TransferPayload};
use crate::application::commands::{Command, CommandMeta};
use crate::application::{AppContext, AppError, accounts, auth, transfers};

pub struct Mutation;

/// Dispatches an account command and answers with the account as the
/// command left it (the same for a repeat of it).
async fn account_command(
    ctx: &AppContext,
    meta: CommandMeta,
    account_id: Option<Uuid>,
    command: Command,
) -> Result<AccountPayload, AppError> {
    let change = accounts::change_account(ctx, command, meta, account_id).await?;
    Ok(AccountPayload {
        account: Account::from(change.account),
        events: change.events.into_iter().map(Event::from).collect(),
        position: Position(change.position),
    })
}

#[Object]
impl Mutation {
    #[graphql(complexity = "super::schema::PASSWORD_COMPLEXITY + child_complexity")]
    async fn register_client(
        &self,
        ctx: &Context<'_>,
        input: RegisterClientInput,
    ) -> async_graphql::Result<AuthPayload> {
        let command = input.into_command().gql()?;
        let meta = CommandMeta::request(crate::application::Actor::Anonymous, None);
        auth::register(app(ctx), command, meta).await.map(AuthPayload::from).gql()
    }

    #[graphql(complexity = "super::schema::PASSWORD_COMPLEXITY + child_complexity")]
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> async_graphql::Result<AuthPayload> {
        let from = super::request::client_address(ctx);
        let signed_in = auth::login(app(ctx), &input.login, &input.password, from).await;
        if let Err(error) = &signed_in {
            count_refused_login(error);
        }
        signed_in.map(AuthPayload::from).gql()
    }

    async fn open_account(&self, ctx: &Context<'_>, input: OpenAccountInput) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, None, Command::OpenAccount(command)).await.gql()
    }

    async fn deposit(&self, ctx: &Context<'_>, input: MoneyInput) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::Deposit(command)).await.gql()
    }

    async fn withdraw(&self, ctx: &Context<'_>, input: MoneyInput) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::Withdraw(command)).await.gql()
    }

    /// Admin only.
    async fn change_overdraft_limit(
        &self,
        ctx: &Context<'_>,
        input: ChangeOverdraftLimitInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::ChangeOverdraftLimit(command)).await.gql()
    }

    async fn close_account(
        &self,
        ctx: &Context<'_>,
        input: CloseAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::CloseAccount(command)).await.gql()
    }

    async fn transfer(&self, ctx: &Context<'_>, input: TransferInput) -> async_graphql::Result<TransferPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        let (transfer, events) = transfers::request_transfer(app(ctx), command, meta).await.gql()?;
        Ok(TransferPayload {
            transfer: Transfer::from(transfer),
            events: events.into_iter().map(Event::from).collect(),
        })
    }
}

/// For the metrics' `minibank_login_failures_total`, by reason.
fn count_refused_login(error: &AppError) {
    let reason = match error {
        AppError::InvalidCredentials => "invalid_credentials",
        AppError::Throttled { .. } => "throttled",
        _ => return,
    };
    metrics::counter!("minibank_login_failures_total", "reason" => reason).increment(1);
}
