//! Deterministic failure injection (the kernel marks `page_pool_alloc_netmems`
//! with `ALLOW_ERROR_INJECTION`; we offer the same for the page allocator,
//! DMA mapping and the pool's allocation entry point).

use serde::Serialize;

/// What to fail. Armed on a [`crate::HostMemory`] (page allocations), a
/// [`crate::DmaDev`] (mappings) or a [`crate::PagePool`] (whole pool
/// allocations, before the caches are looked at).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum FailureInjection {
    /// Nothing fails.
    Off,
    /// The next `n` attempts fail, then injection switches itself off.
    NextN(u64),
    /// Every attempt fails with probability `p` (0.0..=1.0), drawn from a
    /// SplitMix64 generator seeded with `seed`, so runs are reproducible.
    Probability {
        /// Failure probability.
        p: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

/// The armed state of a [`FailureInjection`].
#[derive(Debug)]
pub(crate) struct Injector {
    mode: FailureInjection,
    rng: u64,
    /// How many attempts were failed on purpose.
    pub(crate) injected: u64,
}

impl Default for Injector {
    fn default() -> Self {
        Self::new(FailureInjection::Off)
    }
}

impl Injector {
    pub(crate) fn new(mode: FailureInjection) -> Self {
        let rng = match mode {
            FailureInjection::Probability { seed, .. } => seed,
            _ => 0,
        };
        Self {
            mode,
            rng,
            injected: 0,
        }
    }

    /// Whether any failure can still be injected.
    #[inline]
    pub(crate) fn armed(&self) -> bool {
        !matches!(
            self.mode,
            FailureInjection::Off | FailureInjection::NextN(0)
        )
    }

    /// Decides one attempt: `true` = fail it.
    pub(crate) fn should_fail(&mut self) -> bool {
        let fail = match &mut self.mode {
            FailureInjection::Off => false,
            FailureInjection::NextN(n) => {
                if *n > 0 {
                    *n -= 1;
                    true
                } else {
                    false
                }
            }
            FailureInjection::Probability { p, .. } => {
                let p = *p;
                let draw = splitmix64(&mut self.rng);
                // 53 random bits -> [0, 1)
                ((draw >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
            }
        };
        if fail {
            self.injected += 1;
        }
        fail
    }
}

pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published outputs of Vigna's reference `splitmix64.c` (seeds 0
    /// and 1234567), so a seeded run draws the same numbers as any other
    /// SplitMix64.
    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        let mut s = 0;
        let draws: Vec<u64> = (0..3).map(|_| splitmix64(&mut s)).collect();
        assert_eq!(
            draws,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
        let mut s = 1_234_567;
        assert_eq!(splitmix64(&mut s), 6_457_827_717_110_365_317);
        assert_eq!(splitmix64(&mut s), 3_203_168_211_198_807_973);
    }

    #[test]
    fn next_n_fails_exactly_n_times() {
        let mut i = Injector::new(FailureInjection::NextN(3));
        let fails: Vec<bool> = (0..5).map(|_| i.should_fail()).collect();
        assert_eq!(fails, [true, true, true, false, false]);
        assert!(!i.armed());
        assert_eq!(i.injected, 3);
    }

    #[test]
    fn probability_is_seeded_and_roughly_right() {
        let run = |seed| {
            let mut i = Injector::new(FailureInjection::Probability { p: 0.25, seed });
            (0..4000).filter(|_| i.should_fail()).count()
        };
        assert_eq!(run(7), run(7));
        let n = run(7);
        assert!(
            (800..1200).contains(&n),
            "{n} failures out of 4000 at p=0.25"
        );
        let mut never = Injector::new(FailureInjection::Probability { p: 0.0, seed: 1 });
        assert!((0..100).all(|_| !never.should_fail()));
    }
}
