//! Password hashing, signed tokens and random account numbers.

mod numbers;
mod password;

pub use numbers::RandomAccountNumbers;
pub use password::Argon2Hasher;
