use async_graphql::{Context, Object};
use uuid::Uuid;

use super::app_errors::OrGql;
use super::inputs::{
    ChangeOverdraftLimitInput, CloseAccountInput, LoginInput, MoneyInput, OpenAccountInput, RegisterClientInput,
    TransferInput,
};
use super::request::{actor, app};
use super::scalars::Position;
use super::types::{Account, AccountPayload, AuthPayload, Event, Transfer, TransferPayload};
use crate::application::commands::{Command, CommandMeta};
use crate::application::{AppContext, AppError, accounts, sign_in, transfer_request};

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

/// Writes. Each command is checked whole before anything is recorded: a
/// refused one records nothing and answers an error with `extensions.code`.
/// Every mutation but `registerClient` and `login` needs a bearer token
/// (else UNAUTHENTICATED).
#[Object]
impl Mutation {
    /// Registers a customer and signs them in: the answer carries a token.
    /// ALREADY_EXISTS when the username or e-mail is taken (e-mails compare
    /// case-insensitively); BAD_USER_INPUT, with `extensions.field`, for a
    /// value that breaks a rule.
    #[graphql(complexity = "super::schema::PASSWORD_COMPLEXITY + child_complexity")]
    async fn register_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: RegisterClientInput,
    ) -> async_graphql::Result<AuthPayload> {
        let command = input.into_command().gql()?;
        sign_in::register(app(ctx), command).await.map(AuthPayload::from).gql()
    }

    /// Signs in with a username or e-mail and the password; the token goes in
    /// `Authorization: Bearer <token>`. INVALID_CREDENTIALS whether the login
    /// or the password was wrong; TOO_MANY_REQUESTS (with
    /// `extensions.retryAfter`, in seconds) after repeated failures.
    #[graphql(complexity = "super::schema::PASSWORD_COMPLEXITY + child_complexity")]
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let from = super::request::client_address(ctx);
        let signed_in = sign_in::login(app(ctx), &input.login, &input.password, from).await;
        if let Err(error) = &signed_in {
            count_refused_login(error);
        }
        signed_in.map(AuthPayload::from).gql()
    }

    /// Opens an account for the caller (an admin may name another owner), at
    /// balance 0.00. UNAUTHENTICATED without a token; FORBIDDEN for a
    /// customer who names another owner or an overdraft.
    async fn open_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: OpenAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, None, Command::OpenAccount(command)).await.gql()
    }

    /// Adds `amount` (more than 0) to the account. NOT_FOUND for an account
    /// the caller may not see; ACCOUNT_CLOSED on a closed one; CONFLICT for a
    /// stale `expectedVersion` or a `commandId` reused with other input (the
    /// same input with the same `commandId` answers the same, once applied).
    async fn deposit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: MoneyInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::Deposit(command)).await.gql()
    }

    /// Takes `amount` (more than 0) from the account. INSUFFICIENT_FUNDS when
    /// the balance would go below −overdraftLimit; otherwise as `deposit`.
    async fn withdraw(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: MoneyInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::Withdraw(command)).await.gql()
    }

    /// Admin only.
    async fn change_overdraft_limit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")]
        input: ChangeOverdraftLimitInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::ChangeOverdraftLimit(command)).await.gql()
    }

    /// Closes the account for good. ACCOUNT_NOT_EMPTY while its balance is not
    /// zero or money is in flight; ACCOUNT_CLOSED if it already is.
    async fn close_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: CloseAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        account_command(app(ctx), meta, Some(command.account_id), Command::CloseAccount(command)).await.gql()
    }

    /// Moves `amount` from one of the caller's accounts to another account.
    /// Answers once settled, or after 2 seconds with the
    /// transfer still PENDING (it settles all the same: watch `transfer(id)`
    /// or the events). CURRENCY_MISMATCH between currencies; a refused
    /// transfer ends FAILED with a `failureReason`.
    async fn transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command; the rules of each field are on the input type.")] input: TransferInput,
    ) -> async_graphql::Result<TransferPayload> {
        let actor = actor(ctx)?;
        let (command, command_id) = input.into_command().gql()?;
        let meta = CommandMeta::request(actor, command_id);
        let outcome = transfer_request::request_transfer(app(ctx), command, meta).await.gql()?;
        Ok(TransferPayload {
            transfer: Transfer::from(outcome.transfer),
            events: outcome.events.into_iter().map(Event::from).collect(),
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
