//! Batched loading by level: the objects of one list (a page of accounts,
//! the transactions of every account of that page, ...) share a level, and
//! the first resolver below them that needs a relation loads it for the whole
//! level in one call; its siblings then read their part. A query thus costs
//! statements by depth, not by rows, with no timer to wait for.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::application::AppError;
use crate::application::pagination::{Page, PageRequest};
use crate::application::ports::{AccountView, ClientView, TransactionView, TransferView};
use crate::application::public_event::PublicEvent;
use crate::application::queries::{Queries, TransferParty};

/// A value per key (a page request: siblings may select the same field with
/// other arguments through aliases), loaded once.
struct PerKey<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<Arc<V>>>>>,
}

impl<K: Hash + Eq, V> Default for PerKey<K, V> {
    fn default() -> Self {
        PerKey { cells: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq, V> PerKey<K, V> {
    async fn get_or_load<F>(&self, key: K, load: F) -> Result<Arc<V>, AppError>
    where
        F: Future<Output = Result<V, AppError>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            cells.entry(key).or_default().clone()
        };
        cell.get_or_try_init(|| async { load.await.map(Arc::new) }).await.cloned()
    }
}

/// Pages of one list item each, and the level their items form together.
pub struct Pages<T, L> {
    pub pages: HashMap<Uuid, Page<T>>,
    pub level: Arc<L>,
}

impl<T, L> Pages<T, L> {
    /// The page of `parent` (empty when the batch left it out).
    pub fn of(&self, parent: Uuid) -> Page<T>
    where
        T: Clone,
    {
        self.pages.get(&parent).cloned().unwrap_or(Page { items: Vec::new(), has_next_page: false, total_count: 0 })
    }
}

/// Accounts listed together, all visible in full to the actor.
#[derive(Default)]
pub struct AccountLevel {
    accounts: Vec<AccountView>,
    owners: OnceCell<HashMap<Uuid, ClientView>>,
    transactions: PerKey<PageRequest, Pages<TransactionView, TransactionLevel>>,
    events: PerKey<PageRequest, HashMap<Uuid, Page<PublicEvent>>>,
}

impl AccountLevel {
    pub fn new(accounts: Vec<AccountView>) -> Arc<Self> {
        Arc::new(AccountLevel { accounts, ..AccountLevel::default() })
    }

    pub async fn owner(&self, queries: &Queries<'_>, account: &AccountView) -> Result<Option<ClientView>, AppError> {
        let owners = self.owners.get_or_try_init(|| queries.owners(&self.accounts)).await?;
        Ok(owners.get(&account.owner_id).cloned())
    }

    pub async fn transactions(
        &self,
        queries: &Queries<'_>,
        page: PageRequest,
    ) -> Result<Arc<Pages<TransactionView, TransactionLevel>>, AppError> {
        self.transactions
            .get_or_load(page, async {
                let pages = queries.transaction_pages(&self.accounts, &page).await?;
                let level = TransactionLevel::new(pages.values().flat_map(|p| p.items.iter().map(|(_, t)| t.clone())));
                Ok(Pages { pages, level })
            })
            .await
    }
}

impl AccountLevel {
    pub async fn events(
        &self,
        queries: &Queries<'_>,
        page: PageRequest,
    ) -> Result<Arc<HashMap<Uuid, Page<PublicEvent>>>, AppError> {
        self.events.get_or_load(page, queries.account_event_pages(&self.accounts, &page)).await
    }
}

/// Clients listed together.
#[derive(Default)]
pub struct ClientLevel {
    ids: Vec<Uuid>,
    accounts: PerKey<PageRequest, Pages<AccountView, AccountLevel>>,
}

impl ClientLevel {
    pub fn new(ids: Vec<Uuid>) -> Arc<Self> {
        Arc::new(ClientLevel { ids, ..ClientLevel::default() })
    }

    pub async fn accounts(
        &self,
        queries: &Queries<'_>,
        page: PageRequest,
    ) -> Result<Arc<Pages<AccountView, AccountLevel>>, AppError> {
        self.accounts
            .get_or_load(page, async {
                let pages = queries.accounts_of_clients(&self.ids, &page).await?;
                let level =
                    AccountLevel::new(pages.values().flat_map(|p| p.items.iter().map(|(_, a)| a.clone())).collect());
                Ok(Pages { pages, level })
            })
            .await
    }
}

/// Transactions listed together (the pages of one account level).
#[derive(Default)]
pub struct TransactionLevel {
    transactions: Vec<TransactionView>,
    transfers: OnceCell<(HashMap<Uuid, TransferView>, Arc<TransferLevel>)>,
}

impl TransactionLevel {
    pub fn new(transactions: impl IntoIterator<Item = TransactionView>) -> Arc<Self> {
        Arc::new(TransactionLevel { transactions: transactions.into_iter().collect(), ..TransactionLevel::default() })
    }

    pub async fn transfer(
        &self,
        queries: &Queries<'_>,
        transfer_id: Uuid,
    ) -> Result<Option<(TransferView, Arc<TransferLevel>)>, AppError> {
        let (transfers, level) = self
            .transfers
            .get_or_try_init(|| async {
                let transfers = queries.transfers_of(&self.transactions).await?;
                let level = TransferLevel::new(transfers.values().cloned().collect());
                Ok::<_, AppError>((transfers, level))
            })
            .await?;
        Ok(transfers.get(&transfer_id).map(|t| (t.clone(), level.clone())))
    }
}

/// Transfers listed together.
#[derive(Default)]
pub struct TransferLevel {
    transfers: Vec<TransferView>,
    parties: OnceCell<(HashMap<Uuid, TransferParty>, Arc<AccountLevel>)>,
}

impl TransferLevel {
    pub fn new(transfers: Vec<TransferView>) -> Arc<Self> {
        Arc::new(TransferLevel { transfers, ..TransferLevel::default() })
    }

    /// One side of a transfer of this level, and the level of the sides the
    /// actor sees in full.
    pub async fn party(
        &self,
        queries: &Queries<'_>,
        account_id: Uuid,
    ) -> Result<Option<(TransferParty, Arc<AccountLevel>)>, AppError> {
        let (parties, level) = self
            .parties
            .get_or_try_init(|| async {
                let parties = queries.transfer_parties(&self.transfers).await?;
                let visible = parties.values().filter(|p| p.visible).map(|p| p.account.clone()).collect();
                Ok::<_, AppError>((parties, AccountLevel::new(visible)))
            })
            .await?;
        Ok(parties.get(&account_id).map(|p| (p.clone(), level.clone())))
    }
}
