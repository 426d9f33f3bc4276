//! Deterministic pseudo-random numbers (SplitMix64): every random choice of
//! the bus models comes from a seed that tests print.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for
/// stimulus, and stable across platforms and releases.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p` (see [`Chance`]).
    #[inline]
    pub fn hit(&mut self, p: Chance) -> bool {
        p.0 != 0 && (self.next_u64() >> 32) < p.0
    }

    /// A new generator for a sub-model, derived from this one.
    pub fn fork(&mut self, salt: u64) -> SplitMix64 {
        SplitMix64::new(self.next_u64() ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }
}

/// A probability as a 32-bit threshold: `Chance::percent(25)` is true one
/// time in four. `Chance::NEVER` draws no random number at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chance(u64);

impl Chance {
    pub const NEVER: Chance = Chance(0);

    /// `pct` in 0..=100 (clamped).
    pub const fn percent(pct: u32) -> Chance {
        let pct = if pct > 100 { 100 } else { pct };
        Chance((pct as u64) * (1u64 << 32) / 100)
    }

    pub const fn is_never(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 1234567 from the reference implementation.
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        assert_eq!(r.next_u64(), 9817491932198370423);
    }

    #[test]
    fn chance_bounds_and_rate() {
        let mut r = SplitMix64::new(7);
        assert!(!(0..1000).any(|_| r.hit(Chance::NEVER)));
        assert!((0..1000).all(|_| r.hit(Chance::percent(100))));
        let n = (0..100_000).filter(|_| r.hit(Chance::percent(25))).count();
        assert!((23_000..27_000).contains(&n), "{n}");
        assert!((0..1000).all(|_| r.below(10) < 10));
    }
}
