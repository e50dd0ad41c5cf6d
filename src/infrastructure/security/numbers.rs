use rand::Rng;

use crate::application::ports::AccountNumberGenerator;

/// Draws the nine payload digits uniformly at random; a collision with an
/// existing number is caught by the store's unique claim, and the handler
/// draws again.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomAccountNumbers;

impl AccountNumberGenerator for RandomAccountNumbers {
    fn next_payload(&self) -> u32 {
        rand::rng().random_range(0..1_000_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_below_a_billion_and_vary() {
        let numbers = RandomAccountNumbers;
        let drawn: Vec<u32> = (0..100).map(|_| numbers.next_payload()).collect();
        assert!(drawn.iter().all(|&p| p < 1_000_000_000));
        assert!(drawn.windows(2).any(|w| w[0] != w[1]));
    }
}
