//! Password hashing, signed tokens and random account numbers.

mod jwt;
mod numbers;
mod password;

pub use jwt::JwtTokens;
pub use numbers::RandomAccountNumbers;
pub use password::Argon2Hasher;
