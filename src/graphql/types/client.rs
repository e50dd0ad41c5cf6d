use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Account, AccountConnection, Role, page_args, to_id};
use crate::application::ports::ClientView;
use crate::application::queries::Queries;
use crate::graphql::app_errors::OrGql;
use crate::graphql::loaders::ClientLevel;
use crate::graphql::request::{actor, app};

/// A client of the bank: a person or a company who logs in and owns accounts.
/// A customer sees only itself; admins see every client.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Client {
    /// Opaque, stable identifier (a UUID).
    pub id: ID,
    /// Unique login name, as given at registration.
    pub username: String,
    /// Unique e-mail address, also accepted as `login`.
    pub email: String,
    /// Given name (for a company, its name).
    pub first_name: String,
    /// Family name (for a company, may repeat or extend its name).
    pub last_name: String,
    /// True for a company, false for a person.
    pub is_company: bool,
    /// CUSTOMER, or ADMIN for operators created with `minibank create-admin`.
    pub role: Role,
    /// When the client registered.
    pub created_at: DateTime<Utc>,
    /// Version of the client's event stream.
    pub version: i32,
    #[graphql(skip)]
    pub view: ClientView,
    /// The clients listed with this one, whose accounts load together.
    #[graphql(skip)]
    level: Arc<ClientLevel>,
}

impl From<ClientView> for Client {
    fn from(view: ClientView) -> Self {
        let level = ClientLevel::new(vec![view.id]);
        Client::in_level(view, &level)
    }
}

impl Client {
    /// The clients of one page, as one level.
    pub fn listed(ids: impl IntoIterator<Item = uuid::Uuid>) -> Arc<ClientLevel> {
        ClientLevel::new(ids.into_iter().collect())
    }

    /// A client of a list whose accounts load with its siblings'.
    pub fn in_level(view: ClientView, level: &Arc<ClientLevel>) -> Self {
        Client {
            id: to_id(view.id),
            username: view.username.clone(),
            email: view.email.clone(),
            first_name: view.first_name.clone(),
            last_name: view.last_name.clone(),
            is_company: view.is_company,
            role: view.role.into(),
            created_at: view.created_at,
            version: view.version,
            view,
            level: level.clone(),
        }
    }
}

#[ComplexObject]
impl Client {
    /// The client's accounts, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return: 0 to 100, 20 when omitted (more is capped at 100); a negative number is BAD_USER_INPUT."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor (an `endCursor` or edge `cursor` of the same list); a malformed cursor is BAD_USER_INPUT."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<AccountConnection> {
        let page = page_args(ctx, first, after).gql()?;
        let pages = self.level.accounts(&Queries::new(app(ctx), actor(ctx)?), page).await.gql()?;
        Ok(AccountConnection::from_page(pages.of(self.view.id), &page, |a| Account::in_level(a, &pages.level)))
    }
}
