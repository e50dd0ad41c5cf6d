//! Who subscribes to what in the tabs shape: the first K connections are
//! admin dashboards on every event; tab t belongs to customer t mod C and
//! watches either that customer's account (`accountUpdated(id)`) or their
//! events (`events`), so the tabs of one customer with the same watch share
//! one evaluation on the server and no two customers do.

/// Every admin dashboard runs this same text.
pub const DASHBOARD: &str = "subscription Dashboard { events { position streamId type recordedAt } }";

/// A tab on the customer's own events (all the customer may see).
pub const TAB_EVENTS: &str = "subscription TabEvents { events { position streamId type recordedAt } }";

/// A tab on the customer's account; `$id` is theirs.
pub const TAB_ACCOUNT: &str =
    "subscription TabAccount($id: ID!) { accountUpdated(id: $id) { id balance version updatedAt } }";

/// What a tab subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Watch {
    /// `accountUpdated(id)`: one result per change, keyed by the account's version.
    Account,
    /// `events`: one result per event, keyed by its position.
    Events,
}

/// One subscriber's part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An admin's `events`: every event.
    Dashboard,
    Tab {
        customer: usize,
        watch: Watch,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub subscribers: usize,
    pub dashboards: usize,
    pub customers: usize,
    /// Share of the tabs on `accountUpdated`.
    pub tab_mix: f64,
}

impl Layout {
    pub fn new(subscribers: usize, dashboards: usize, customers: usize, tab_mix: f64) -> Layout {
        Layout { subscribers, dashboards: dashboards.min(subscribers), customers: customers.max(1), tab_mix }
    }

    pub fn tabs(&self) -> usize {
        self.subscribers - self.dashboards
    }

    pub fn role(&self, subscriber: usize) -> Role {
        let Some(tab) = subscriber.checked_sub(self.dashboards) else { return Role::Dashboard };
        let customer = tab % self.customers;
        // Counted along the customers and again along each customer's own
        // tabs, so the share holds over the tabs as a whole and, at one
        // half, a customer's tabs alternate between the two watches.
        let k = customer + tab / self.customers;
        let on_account = ((k + 1) as f64 * self.tab_mix).floor() > (k as f64 * self.tab_mix).floor();
        Role::Tab { customer, watch: if on_account { Watch::Account } else { Watch::Events } }
    }

    /// Distinct evaluations the server needs when identical subscriptions
    /// of one caller share one: one per customer and watch, one for all the
    /// dashboards.
    pub fn shared_evaluations(&self) -> usize {
        let tabs: std::collections::HashSet<Role> =
            (self.dashboards..self.subscribers).map(|subscriber| self.role(subscriber)).collect();
        tabs.len() + usize::from(self.dashboards > 0)
    }

    /// Customers with at least one tab.
    pub fn customers_with_tabs(&self) -> usize {
        self.tabs().min(self.customers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watches(layout: &Layout) -> Vec<Role> {
        (0..layout.subscribers).map(|i| layout.role(i)).collect()
    }

    #[test]
    fn dashboards_come_first_then_tabs_round_the_customers() {
        let layout = Layout::new(7, 2, 3, 0.5);
        let roles = watches(&layout);
        assert_eq!(&roles[..2], &[Role::Dashboard, Role::Dashboard]);
        let customers: Vec<usize> = roles[2..]
            .iter()
            .map(|role| match role {
                Role::Tab { customer, .. } => *customer,
                Role::Dashboard => usize::MAX,
            })
            .collect();
        assert_eq!(customers, [0, 1, 2, 0, 1]);
        assert_eq!(layout.customers_with_tabs(), 3);
    }

    #[test]
    fn the_mix_is_the_share_of_account_tabs() {
        for (share, expected) in [(0.0, 0), (0.5, 500), (0.25, 250), (1.0, 1000)] {
            let layout = Layout::new(1000, 0, 100, share);
            let on_account =
                watches(&layout).iter().filter(|role| matches!(role, Role::Tab { watch: Watch::Account, .. })).count();
            assert_eq!(on_account, expected, "share {share}");
        }
    }

    #[test]
    fn half_and_half_gives_each_customer_both_watches() {
        let layout = Layout::new(40, 0, 10, 0.5);
        for customer in 0..10 {
            let mine: Vec<Watch> = watches(&layout)
                .into_iter()
                .filter_map(|role| match role {
                    Role::Tab { customer: c, watch } if c == customer => Some(watch),
                    _ => None,
                })
                .collect();
            assert_eq!(mine.len(), 4);
            assert_eq!(mine.iter().filter(|w| **w == Watch::Account).count(), 2, "customer {customer}: {mine:?}");
        }
        assert_eq!(layout.shared_evaluations(), 20);
        assert_eq!(Layout::new(45, 5, 10, 0.5).shared_evaluations(), 21);
        assert_eq!(Layout::new(5, 0, 10, 1.0).shared_evaluations(), 5);
    }
}
