use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

/// The largest amount (10^12) a single deposit, withdrawal or transfer may carry.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);
/// Balances stay within ±this, so they always fit 64-bit minor units in storage.
pub const MAX_BALANCE: Decimal = Decimal::from_parts(0x107A_4000, 0x5AF3, 0, false, 0);

const SCALE: u32 = 2;

fn check_precision(field: &'static str, value: Decimal) -> Result<Decimal, DomainError> {
    let normalized = value.normalize();
    if normalized.scale() > SCALE {
        return Err(DomainError::invalid(field, format!("{value} has more than {SCALE} fraction digits")));
    }
    let mut exact = normalized;
    exact.rescale(SCALE);
    Ok(exact)
}

/// A strictly positive amount of money with at most two fraction digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Money {
    pub fn new(value: Decimal) -> Result<Self, DomainError> {
        let value = check_precision("amount", value)?;
        if value <= Decimal::ZERO {
            return Err(DomainError::invalid("amount", "must be greater than 0"));
        }
        if value > MAX_AMOUNT {
            return Err(DomainError::invalid("amount", format!("must be at most {MAX_AMOUNT}")));
        }
        Ok(Money(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

/// How far below zero an account's balance may go: zero or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OverdraftLimit(Decimal);

impl OverdraftLimit {
    pub const ZERO: OverdraftLimit = OverdraftLimit(Decimal::from_parts(0, 0, 0, false, SCALE));

    pub fn new(value: Decimal) -> Result<Self, DomainError> {
        let value = check_precision("overdraftLimit", value)?;
        if value < Decimal::ZERO {
            return Err(DomainError::invalid("overdraftLimit", "must not be negative"));
        }
        if value > MAX_AMOUNT {
            return Err(DomainError::invalid("overdraftLimit", format!("must be at most {MAX_AMOUNT}")));
        }
        Ok(OverdraftLimit(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

/// Converts an exact two-digit amount to minor units (cents) for storage.
pub fn to_cents(value: Decimal) -> i64 {
    let mut scaled = value;
    scaled.rescale(SCALE);
    i64::try_from(scaled.mantissa()).unwrap_or(if value.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// Converts stored minor units (cents) back to an exact two-digit amount.
pub fn from_cents(cents: i64) -> Decimal {
    Decimal::new(cents, SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_accepts_two_fraction_digits_and_renders_them() {
        assert_eq!(Money::new(d("125.5")).unwrap().value().to_string(), "125.50");
        assert_eq!(Money::new(d("0.01")).unwrap().value().to_string(), "0.01");
        assert_eq!(Money::new(d("1.000")).unwrap().value().to_string(), "1.00");
    }

    #[test]
    fn money_refuses_zero_negative_over_precise_and_huge() {
        for bad in ["0", "-1", "0.001", "1000000000000.01", "1e13"] {
            let parsed = Decimal::from_str(bad).or_else(|_| Decimal::from_scientific(bad)).unwrap();
            assert!(Money::new(parsed).is_err(), "{bad} should be refused");
        }
        assert!(Money::new(d("1000000000000")).is_ok());
        assert_eq!(MAX_AMOUNT, d("1000000000000"));
        assert_eq!(MAX_BALANCE, d("100000000000000"));
    }

    #[test]
    fn overdraft_limit_may_be_zero_but_not_negative() {
        assert!(OverdraftLimit::new(d("0")).unwrap().is_zero());
        assert!(OverdraftLimit::new(d("-0.01")).is_err());
        assert_eq!(OverdraftLimit::ZERO.value().to_string(), "0.00");
    }

    #[test]
    fn cents_round_trip() {
        assert_eq!(to_cents(d("-125.50")), -12550);
        assert_eq!(from_cents(-12550).to_string(), "-125.50");
        assert_eq!(to_cents(MAX_BALANCE), 10_000_000_000_000_000);
    }
}
