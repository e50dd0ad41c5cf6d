//! Custom scalars: exact decimals and log positions travel as strings.

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// Exact decimal number serialized as a string, e.g. "125.50".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => rust_decimal::Decimal::from_str(s.trim())
                .map(Decimal)
                .map_err(|_| InputValueError::custom(format!("'{s}' is not a decimal number such as \"125.50\""))),
            Value::Number(n) if n.is_i64() || n.is_u64() => rust_decimal::Decimal::from_str(&n.to_string())
                .map(Decimal)
                .map_err(|_| InputValueError::custom(format!("{n} is out of range"))),
            Value::Number(n) => Err(InputValueError::custom(format!(
                "{n} is a floating-point number; send amounts as strings such as \"125.50\""
            ))),
            _ => Err(InputValueError::expected_type(value)),
        }
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

#[Scalar(name = "Position")]
impl ScalarType for Position {
    fn parse(value: Value) -> InputValueResult<Self> {
        let parsed = match &value {
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Number(n) => n.as_i64(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        match parsed {
            Some(p) if p >= 0 => Ok(Position(p)),
            _ => Err(InputValueError::custom("a position is a whole number of 0 or more")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}
