//! Who may see and do what: the one authorization policy of the queries,
//! the command handlers, the live events and the GraphQL account type.
//!
//! Customers see and act on their own client, their accounts and the
//! transfers touching those; admins and the server itself on everything.
//! What a customer may not see is absent to them (null, left out, "not
//! found"), never FORBIDDEN, so nothing tells them that it exists; FORBIDDEN
//! is for what they may see but not do.

use uuid::Uuid;

use super::ports::AccountView;
use super::{Actor, AppContext, AppError};
use crate::domain::account::{Account, OpenedAccount};

/// Anonymous callers may do nothing but sign up and sign in.
pub fn signed_in(actor: Actor) -> Result<(), AppError> {
    match actor {
        Actor::Anonymous => Err(AppError::Unauthenticated),
        _ => Ok(()),
    }
}

/// Signed in and privileged; else FORBIDDEN, saying `why`.
pub fn privileged(actor: Actor, why: &'static str) -> Result<(), AppError> {
    signed_in(actor)?;
    if actor.is_privileged() { Ok(()) } else { Err(AppError::forbidden(why)) }
}

/// May `actor` see or act on what `owner` owns?
pub fn owns(actor: Actor, owner: Uuid) -> bool {
    actor.may_access(owner)
}

/// May `actor` see this account in full?
pub fn sees_account(actor: Actor, account: &AccountView) -> bool {
    owns(actor, account.owner_id)
}

/// The account a command acts on, if `actor` may act on it; another's
/// account is "not found" to them, as an unopened one is.
pub fn own_account(actor: Actor, account: &Account) -> Result<&OpenedAccount, AppError> {
    signed_in(actor)?;
    match account.opened() {
        Some(opened) if owns(actor, opened.owner_id) => Ok(opened),
        _ => Err(AppError::NotFound("account")),
    }
}

/// The streams whose events `actor` may see: `None` for all of them (admins
/// and the server); for a customer, their client and accounts and the
/// transfers touching those, as the read models know them now.
pub async fn visible_streams(ctx: &AppContext, actor: Actor) -> Result<Option<Vec<Uuid>>, AppError> {
    signed_in(actor)?;
    if actor.is_privileged() {
        return Ok(None);
    }
    let me = actor.client_id().ok_or(AppError::Unauthenticated)?;
    let mut visible = ctx.accounts.ids_owned_by(me).await?;
    visible.extend(ctx.transfers.ids_involving(&visible).await?);
    visible.push(me);
    Ok(Some(visible))
}

/// How much of an account a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFace {
    /// Everything: the owner's and an admin's view.
    Full,
    /// The other side of a transfer, to a customer who does not own it:
    /// who it is (id, number, currency, status), not what it holds nor its
    /// history.
    Public,
}

impl AccountFace {
    pub fn of(actor: Actor, account: &AccountView) -> Self {
        if sees_account(actor, account) { AccountFace::Full } else { AccountFace::Public }
    }

    /// Allows a field that only the full face shows.
    pub fn full(self) -> Result<(), AppError> {
        match self {
            AccountFace::Full => Ok(()),
            AccountFace::Public => {
                Err(AppError::forbidden("only the account's owner sees this of the other side of a transfer"))
            }
        }
    }
}
