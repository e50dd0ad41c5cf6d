use rust_decimal::Decimal;

use super::{
    Account, AccountCommand, AccountEvent, AccountOpened, AccountStatus, MoneyMoved, OpenedAccount,
    OverdraftLimitChanged, TransferLeg,
};
use crate::domain::DomainError;
use crate::domain::value::{Currency, MAX_BALANCE, Money, OverdraftLimit};

pub fn decide(state: &Account, command: AccountCommand) -> Result<Vec<AccountEvent>, DomainError> {
    let (account, command) = match (state, command) {
        (Account::Unopened, AccountCommand::Open { account_id, owner_id, number, currency, overdraft_limit }) => {
            return Ok(vec![AccountEvent::AccountOpened(AccountOpened {
                account_id,
                owner_id,
                number,
                currency,
                overdraft_limit,
            })]);
        }
        (Account::Opened(_), AccountCommand::Open { .. }) => {
            return Err(DomainError::AccountAlreadyOpened);
        }
        (Account::Unopened, _) => return Err(DomainError::AccountNotFound),
        (Account::Opened(account), command) => (account, command),
    };
    // A refund always lands: the source cannot close while its transfer is in
    // flight, and money must never vanish.
    let refund = matches!(command, AccountCommand::RefundTransfer { .. } | AccountCommand::SettleTransfer { .. });
    if account.status == AccountStatus::Closed && !refund {
        return Err(DomainError::AccountClosed);
    }
    match command {
        AccountCommand::Open { .. } => Err(DomainError::AccountAlreadyOpened),
        AccountCommand::Deposit { amount, description } => {
            let balance_after = credited(account, amount)?;
            Ok(vec![AccountEvent::MoneyDeposited(MoneyMoved { amount, description, balance_after })])
        }
        AccountCommand::Withdraw { amount, description } => {
            ensure_covered(account, amount.value(), account.overdraft_limit)?;
            let balance_after = account.balance - amount.value();
            Ok(vec![AccountEvent::MoneyWithdrawn(MoneyMoved { amount, description, balance_after })])
        }
        AccountCommand::ChangeOverdraftLimit { limit } => {
            if limit == account.overdraft_limit {
                return Ok(vec![]);
            }
            // Lowering the limit must not leave the balance below the new floor.
            ensure_covered(account, Decimal::ZERO, limit)?;
            Ok(vec![AccountEvent::OverdraftLimitChanged(OverdraftLimitChanged {
                previous_limit: account.overdraft_limit,
                limit,
            })])
        }
        AccountCommand::Close => {
            if !account.balance.is_zero() {
                return Err(DomainError::AccountNotEmpty { balance: account.balance });
            }
            if account.transfers_in_flight > 0 {
                return Err(DomainError::TransfersInFlight { count: account.transfers_in_flight });
            }
            Ok(vec![AccountEvent::AccountClosed {}])
        }
        AccountCommand::DebitForTransfer { transfer_id, to_account_id, amount, description } => {
            ensure_covered(account, amount.value(), account.overdraft_limit)?;
            let balance_after = account.balance - amount.value();
            let leg = TransferLeg { transfer_id, counterparty_id: to_account_id, amount, description, balance_after };
            Ok(vec![AccountEvent::TransferDebited(leg)])
        }
        AccountCommand::CreditForTransfer { transfer_id, from_account_id, amount, currency, description } => {
            ensure_receives(account, &currency)?;
            let balance_after = credited(account, amount)?;
            let leg = TransferLeg { transfer_id, counterparty_id: from_account_id, amount, description, balance_after };
            Ok(vec![AccountEvent::TransferCredited(leg)])
        }
        AccountCommand::RefundTransfer { transfer_id, to_account_id, amount, description } => {
            let balance_after = credited(account, amount)?;
            let leg = TransferLeg { transfer_id, counterparty_id: to_account_id, amount, description, balance_after };
            Ok(vec![AccountEvent::TransferRefunded(leg)])
        }
        AccountCommand::SettleTransfer { transfer_id } => Ok(vec![AccountEvent::TransferSettled { transfer_id }]),
    }
}

/// May `account` take a transfer in `currency`? Asked when a transfer is
/// requested, so that a destination that would refuse it refuses it with
/// nothing written, and again when the credit is decided.
pub fn ensure_receives(account: &OpenedAccount, currency: &Currency) -> Result<(), DomainError> {
    if account.status == AccountStatus::Closed {
        return Err(DomainError::AccountClosed);
    }
    if *currency != account.currency {
        return Err(DomainError::CurrencyMismatch {
            left: currency.as_str().to_string(),
            right: account.currency.as_str().to_string(),
        });
    }
    Ok(())
}

/// The balance after receiving `amount`, within the storage bound.
fn credited(account: &OpenedAccount, amount: Money) -> Result<Decimal, DomainError> {
    let balance_after = account.balance + amount.value();
    if balance_after > MAX_BALANCE {
        return Err(DomainError::invalid("amount", format!("the balance may not exceed {MAX_BALANCE}")));
    }
    Ok(balance_after)
}

/// The balance may never go below −limit.
fn ensure_covered(account: &OpenedAccount, amount: Decimal, limit: OverdraftLimit) -> Result<(), DomainError> {
    let available = account.balance + limit.value();
    if amount > available {
        return Err(DomainError::InsufficientFunds { available, requested: amount });
    }
    Ok(())
}

pub fn evolve(state: Account, event: &AccountEvent) -> Account {
    match (state, event) {
        (_, AccountEvent::AccountOpened(e)) => Account::Opened(OpenedAccount {
            id: e.account_id,
            owner_id: e.owner_id,
            number: e.number.clone(),
            currency: e.currency.clone(),
            balance: Decimal::new(0, 2),
            overdraft_limit: e.overdraft_limit,
            status: AccountStatus::Open,
            transfers_in_flight: 0,
        }),
        (Account::Unopened, _) => Account::Unopened,
        (Account::Opened(mut a), event) => {
            match event {
                AccountEvent::AccountOpened(_) => {}
                AccountEvent::MoneyDeposited(m) | AccountEvent::MoneyWithdrawn(m) => a.balance = m.balance_after,
                AccountEvent::TransferDebited(leg) => {
                    a.balance = leg.balance_after;
                    a.transfers_in_flight += 1;
                }
                AccountEvent::TransferCredited(leg) => a.balance = leg.balance_after,
                AccountEvent::TransferRefunded(leg) => {
                    a.balance = leg.balance_after;
                    a.transfers_in_flight = a.transfers_in_flight.saturating_sub(1);
                }
                AccountEvent::TransferSettled { .. } => a.transfers_in_flight = a.transfers_in_flight.saturating_sub(1),
                AccountEvent::OverdraftLimitChanged(c) => a.overdraft_limit = c.limit,
                AccountEvent::AccountClosed {} => a.status = AccountStatus::Closed,
            }
            Account::Opened(a)
        }
    }
}
