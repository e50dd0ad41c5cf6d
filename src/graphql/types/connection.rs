//! Relay connections with `nodes` and `totalCount`, as the contract spells them.

use async_graphql::{Context, Object, SimpleObject};

use super::{Account, Client, Event, Transaction};
use crate::application::AppError;
use crate::application::pagination::{Page, PageRequest, encode_cursor};

/// Where a page sits in its list (Relay cursor connections).
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when more items follow this page; ask for them with `after: endCursor`.
    pub has_next_page: bool,
    /// True when the page was asked with `after` (items precede it).
    pub has_previous_page: bool,
    /// Cursor of the first item of the page; null on an empty page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page, to pass as `after` for the next page; null on an empty page.
    pub end_cursor: Option<String>,
}

/// Defines `<Name>Edge` and `<Name>Connection` for one node type
/// (async-graphql's generic objects cannot nest generics). A connection
/// keeps its page as it came; cursors, edges and page info are made only
/// when a query selects them (lists usually select `nodes` alone).
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[doc = concat!("One ", stringify!($node), " of a page, with its cursor.")]
        #[derive(SimpleObject)]
        pub struct $edge {
            /// Opaque position of this item in the list; pass it as `after` to continue after it.
            pub cursor: String,
            #[doc = concat!("The ", stringify!($node), ".")]
            pub node: $node,
        }

        pub struct $connection {
            keys: Vec<i64>,
            nodes: Vec<$node>,
            has_next_page: bool,
            has_previous_page: bool,
            total_count: u64,
        }

        impl $connection {
            pub fn from_page<V>(page: Page<V>, request: &PageRequest, to_node: impl Fn(V) -> $node) -> Self {
                let (keys, nodes) = page.items.into_iter().map(|(key, item)| (key, to_node(item))).unzip();
                $connection {
                    keys,
                    nodes,
                    has_next_page: page.has_next_page,
                    has_previous_page: request.after.is_some(),
                    total_count: page.total_count,
                }
            }
        }

        #[doc = concat!("A page of ", stringify!($node), " items (Relay cursor connection).")]
        #[Object]
        impl $connection {
            /// The items of the page with their cursors.
            async fn edges(&self) -> Vec<$edge> {
                self.keys
                    .iter()
                    .zip(&self.nodes)
                    .map(|(key, node)| $edge { cursor: encode_cursor(*key), node: node.clone() })
                    .collect()
            }

            /// The items of the page, in the same order as `edges`.
            async fn nodes(&self) -> &[$node] {
                &self.nodes
            }

            /// Cursors and whether more items follow.
            async fn page_info(&self) -> PageInfo {
                PageInfo {
                    has_next_page: self.has_next_page,
                    has_previous_page: self.has_previous_page,
                    start_cursor: self.keys.first().copied().map(encode_cursor),
                    end_cursor: self.keys.last().copied().map(encode_cursor),
                }
            }

            /// Number of items in the whole list, not only this page (counted only when selected).
            async fn total_count(&self) -> i32 {
                i32::try_from(self.total_count).unwrap_or(i32::MAX)
            }
        }
    };
}

connection!(ClientConnection, ClientEdge, Client);
connection!(AccountConnection, AccountEdge, Account);
connection!(TransactionConnection, TransactionEdge, Transaction);
connection!(EventConnection, EventEdge, Event);

/// `first` (default 20, capped at 100) and `after` as a page request, which
/// counts the whole list only if the query selects `totalCount`.
pub fn page_args(ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<PageRequest, AppError> {
    let page = PageRequest::new(first, after.as_deref())?;
    Ok(if ctx.look_ahead().field("totalCount").exists() { page } else { page.without_total() })
}
