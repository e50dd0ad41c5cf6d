use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

/// The largest amount (10^12) a single deposit, withdrawal or transfer may carry.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);
/// Balances stay within ±this, so they always fit 64-bit minor units in storage.
pub const MAX_BALANCE: Decimal = Decimal::from_parts(0x107A_4000, 0x5AF3, 0, false, 0);

const SCALE: u32 = 2;

/// The money grammar, as a client reads it: `^[0-9]+(\.[0-9]{1,2})?$`.
pub const MONEY_GRAMMAR: &str =
    "digits with an optional point and one or two fraction digits (no sign, exponent or space), e.g. \"125.50\"";

/// Digits that fit a `Decimal` with room to spare; anything longer is far
/// beyond every limit and is refused before it is converted.
const MAX_DIGITS: usize = 20;

/// Reads an amount written by a client, exactly `^[0-9]+(\.[0-9]{1,2})?$`:
/// the one grammar every amount and limit is held to, so `"1e3"`, `"1_000"`,
/// `" 1"`, `"+1"`, `"1."`, `".5"` and `"1.000"` never mean a number.
pub fn parse_amount(field: &'static str, raw: &str) -> Result<Decimal, DomainError> {
    let refuse = || DomainError::invalid(field, format!("must be {MONEY_GRAMMAR}"));
    let (whole, fraction) = match raw.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (raw, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f) || f.len() > SCALE as usize) {
        return Err(refuse());
    }
    let significant = whole.trim_start_matches('0');
    if significant.len() > MAX_DIGITS {
        return Err(DomainError::invalid(field, format!("must be at most {MAX_AMOUNT}")));
    }
    let canonical = format!("{}.{}", if significant.is_empty() { "0" } else { significant }, fraction.unwrap_or("0"));
    let mut exact = Decimal::from_str(&canonical).map_err(|_| refuse())?;
    exact.rescale(SCALE);
    Ok(exact)
}

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
        Self::for_field("amount", value)
    }

    /// The same rules, with refusals naming the client's input field.
    pub fn for_field(field: &'static str, value: Decimal) -> Result<Self, DomainError> {
        let value = check_precision(field, value)?;
        if value <= Decimal::ZERO {
            return Err(DomainError::invalid(field, "must be greater than 0"));
        }
        if value > MAX_AMOUNT {
            return Err(DomainError::invalid(field, format!("must be at most {MAX_AMOUNT}")));
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
        Self::for_field("overdraftLimit", value)
    }

    /// The same rules, with refusals naming the client's input field.
    pub fn for_field(field: &'static str, value: Decimal) -> Result<Self, DomainError> {
        let value = check_precision(field, value)?;
        if value < Decimal::ZERO {
            return Err(DomainError::invalid(field, "must not be negative"));
        }
        if value > MAX_AMOUNT {
            return Err(DomainError::invalid(field, format!("must be at most {MAX_AMOUNT}")));
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
    fn the_grammar_takes_digits_with_at_most_two_fraction_digits() {
        for (raw, exact) in
            [("1", "1.00"), ("1.5", "1.50"), ("1.50", "1.50"), ("0.01", "0.01"), ("01", "1.00"), ("0", "0.00")]
                .into_iter()
                .chain([(&*format!("{}7.5", "0".repeat(100)), "7.50")])
        {
            assert_eq!(parse_amount("amount", raw).unwrap().to_string(), exact, "{raw:?}");
        }
        assert_eq!(parse_amount("amount", "1000000000000").unwrap(), MAX_AMOUNT);
    }

    #[test]
    fn the_grammar_refuses_every_other_spelling_and_names_the_field() {
        for bad in [
            "1e3", "1.5e1", "1E3", "1_000", " 1", "1 ", "+1", "-1", "1.", ".5", "1.000", "", ".", "1,5", "1.5.0",
            "NaN", "inf", "0x10", "١", "1\u{0}", "１",
        ] {
            let error = parse_amount("limit", bad).expect_err(bad);
            assert!(matches!(error, DomainError::InvalidValue { field: "limit", .. }), "{bad:?}: {error:?}");
        }
        let huge = "9".repeat(40);
        assert!(matches!(parse_amount("amount", &huge), Err(DomainError::InvalidValue { field: "amount", .. })));
        assert!(parse_amount("amount", &"9".repeat(21)).is_err());
    }

    #[test]
    fn amounts_and_limits_name_the_field_they_came_from() {
        assert!(matches!(Money::for_field("amount", d("0")), Err(DomainError::InvalidValue { field: "amount", .. })));
        assert!(OverdraftLimit::for_field("limit", d("0")).unwrap().is_zero());
        assert!(matches!(
            OverdraftLimit::for_field("limit", d("1000000000001")),
            Err(DomainError::InvalidValue { field: "limit", .. })
        ));
    }

    #[test]
    fn cents_round_trip() {
        assert_eq!(to_cents(d("-125.50")), -12550);
        assert_eq!(from_cents(-12550).to_string(), "-125.50");
        assert_eq!(to_cents(MAX_BALANCE), 10_000_000_000_000_000);
    }
}
