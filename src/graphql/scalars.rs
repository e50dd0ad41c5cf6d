//! Custom scalars: exact decimals and log positions travel as strings.
//!
//! Each scalar checks a value twice with the same rule: `is_valid` lets
//! validation refuse it with the path of the input field (before anything
//! runs), and `parse` refuses it again should a value ever skip validation.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::domain::value::{MONEY_GRAMMAR, parse_amount};

/// Exact decimal number serialized as a string, e.g. "125.50".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

fn bad_input<T: async_graphql::InputType>(error: InputValueError<T>) -> InputValueError<T> {
    error.with_extension("code", "BAD_USER_INPUT")
}

/// Exact decimal number as a string: in answers always with two fraction
/// digits ("125.50"); in inputs exactly `^[0-9]+(\.[0-9]{1,2})?$` — digits,
/// then optionally a point and one or two digits. No sign, exponent, `_`,
/// space, or JSON number.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_amount("amount", s)
                .map(Decimal)
                .map_err(|_| bad_input(InputValueError::custom(format!("an amount must be {MONEY_GRAMMAR}")))),
            _ => Err(bad_input(InputValueError::custom(format!("an amount must be a string of {MONEY_GRAMMAR}")))),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if parse_amount("amount", s).is_ok())
    }

    fn to_value(&self) -> Value {
        let mut exact = self.0;
        if exact.scale() < 2 {
            exact.rescale(2);
        }
        Value::String(exact.to_string())
    }
}

/// A 64-bit global position in the event log, serialized as a decimal string;
/// accepted as a string or an Int.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position(pub i64);

/// A position in the event log (increasing in commit order; 0 is before
/// the first event), as a decimal string ("42") in answers; in inputs a
/// string or an Int of 0 or more. Resume a subscription with
/// `events(after: <last position you handled>)`.
#[Scalar(name = "Position")]
impl ScalarType for Position {
    fn parse(value: Value) -> InputValueResult<Self> {
        position_of(&value)
            .map(Position)
            .ok_or_else(|| bad_input(InputValueError::custom("a position is a whole number of 0 or more")))
    }

    fn is_valid(value: &Value) -> bool {
        position_of(value).is_some()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

fn position_of(value: &Value) -> Option<i64> {
    let parsed = match value {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    parsed.filter(|p| *p >= 0)
}
