//! Reads for a whole level of a nested query at once (the owners of a page
//! of accounts, the transactions of each, ...), one statement per level
//! whatever the number of rows. Each applies the same rule as its one-row
//! counterpart in [`Queries`]; rows the actor may not see are left out.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::Queries;
use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{AccountView, ClientView, TransactionView, TransferView};
use crate::application::public_event::PublicEvent;
use crate::application::{AppError, access};

/// One side of a transfer, and whether the actor sees it in full (see
/// [`Queries::counterparty`]).
#[derive(Debug, Clone)]
pub struct TransferParty {
    pub account: AccountView,
    pub visible: bool,
}

fn distinct(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

impl Queries<'_> {
    /// The owners of visible accounts, by id, as [`Queries::client`] shows them.
    pub async fn owners(&self, accounts: &[AccountView]) -> Result<HashMap<Uuid, ClientView>, AppError> {
        self.signed_in()?;
        let ids = distinct(accounts.iter().map(|a| a.owner_id).filter(|owner| access::owns(self.actor, *owner)));
        let clients = self.ctx.clients.get_many(&ids).await?;
        Ok(clients.into_iter().map(|c| (c.id, c)).collect())
    }

    /// The same page of each client's accounts, as [`Queries::accounts`] with
    /// `owner_id` lists them: FORBIDDEN if any of these clients is not the
    /// actor's to see.
    pub async fn accounts_of_clients(
        &self,
        client_ids: &[Uuid],
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<AccountView>>, AppError> {
        self.signed_in()?;
        if client_ids.iter().any(|id| !access::owns(self.actor, *id)) {
            return Err(AppError::forbidden("customers may list only their own accounts"));
        }
        Ok(self.ctx.accounts.pages_by_owner(&distinct(client_ids.iter().copied()), page).await?)
    }

    /// The same page of each account's transactions, newest first; the
    /// accounts must come from a visible query (such as [`Queries::accounts`]).
    pub async fn transaction_pages(
        &self,
        accounts: &[AccountView],
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<TransactionView>>, AppError> {
        let ids = distinct(accounts.iter().filter(|a| access::sees_account(self.actor, a)).map(|a| a.id));
        Ok(self.ctx.accounts.transaction_pages(&ids, page).await?)
    }

    /// The same page of each account's own stream, oldest first (the cursor
    /// is the stream version); the accounts must come from a visible query.
    pub async fn account_event_pages(
        &self,
        accounts: &[AccountView],
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<PublicEvent>>, AppError> {
        let visible: Vec<&AccountView> = accounts.iter().filter(|a| access::sees_account(self.actor, a)).collect();
        let ids = distinct(visible.iter().map(|a| a.id));
        let after = page.after.unwrap_or(0).clamp(0, i64::from(i32::MAX)) as i32;
        let mut events = self.ctx.accounts.event_pages(&ids, after, page.first + 1).await?;
        Ok(visible
            .into_iter()
            .map(|account| {
                let rows = events.remove(&account.id).unwrap_or_default();
                let items =
                    rows.into_iter().map(|e| (i64::from(e.version), PublicEvent::upcast_and_redact(e))).collect();
                (account.id, Page::from_rows(items, page.first, account.version.max(0) as u64))
            })
            .collect())
    }

    /// The transfers behind transactions of visible accounts, by id: each
    /// moved money on that account, so its owner may see it (the rule of
    /// [`Queries::transfer`]).
    pub async fn transfers_of(
        &self,
        transactions: &[TransactionView],
    ) -> Result<HashMap<Uuid, TransferView>, AppError> {
        self.signed_in()?;
        let ids = distinct(transactions.iter().filter_map(|t| t.transfer_id));
        let transfers = self.ctx.transfers.get_many(&ids).await?;
        let involved: HashSet<(Uuid, Uuid)> =
            transactions.iter().filter_map(|t| t.transfer_id.map(|transfer| (transfer, t.account_id))).collect();
        Ok(transfers
            .into_iter()
            .filter(|t| {
                self.actor.is_privileged()
                    || involved.contains(&(t.id, t.from_account_id))
                    || involved.contains(&(t.id, t.to_account_id))
            })
            .map(|t| (t.id, t))
            .collect())
    }

    /// Both sides of visible transfers, by account id: in full when the
    /// actor may see the account, else its public face.
    pub async fn transfer_parties(&self, transfers: &[TransferView]) -> Result<HashMap<Uuid, TransferParty>, AppError> {
        self.signed_in()?;
        let ids = distinct(transfers.iter().flat_map(|t| [t.from_account_id, t.to_account_id]));
        let accounts = self.ctx.accounts.get_many(&ids).await?;
        Ok(accounts
            .into_iter()
            .map(|account| {
                let visible = access::sees_account(self.actor, &account);
                (account.id, TransferParty { account, visible })
            })
            .collect())
    }
}
