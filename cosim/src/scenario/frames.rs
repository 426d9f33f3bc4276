//! Deterministic frames for a scenario.

use super::format::{FrameSize, IMIX};
use super::report::fnv1a;
use crate::SplitMix64;

/// `n` frames of `size` from `seed`: broadcast destination, a locally
/// administered source, EtherType 0x88b5 (local experimental), a 32-bit
/// big-endian sequence number, then seeded bytes.
pub fn generate_frames(n: u32, size: FrameSize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = SplitMix64::new(seed).fork(0x6672_616d_6573);
    let total: u32 = IMIX.iter().map(|(_, w)| w).sum();
    (0..n)
        .map(|seq| {
            let len = match size {
                FrameSize::Fixed(l) => l,
                FrameSize::Range(lo, hi) => lo + rng.below(u64::from(hi - lo) + 1) as u32,
                FrameSize::Imix => {
                    let mut pick = rng.below(u64::from(total)) as u32;
                    let mut len = IMIX[0].0;
                    for (l, w) in IMIX {
                        if pick < w {
                            len = l;
                            break;
                        }
                        pick -= w;
                    }
                    len
                }
            } as usize;
            let mut f = Vec::with_capacity(len.max(18));
            f.extend_from_slice(&[0xff; 6]);
            f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);
            f.extend_from_slice(&seq.to_be_bytes());
            while f.len() < len {
                f.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            f.truncate(len);
            f
        })
        .collect()
}

/// A 64-bit hash of a frame's bytes (FNV-1a), to check delivery without
/// keeping every frame.
pub fn frame_hash(f: &[u8]) -> u64 {
    fnv1a(0, f)
}
