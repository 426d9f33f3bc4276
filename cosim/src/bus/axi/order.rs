//! Which queued response the slave presents next.

use crate::rng::SplitMix64;

/// The next response to give from `queue` (`(id, ready_at)`, oldest first):
/// the oldest, or with `reorder` the oldest entry of a random ID among the IDs
/// whose oldest entry is ready at `cycle` (AXI orders responses only within
/// an ID).
pub(super) fn pick_head(
    queue: impl Iterator<Item = (u8, u64)>,
    reorder: bool,
    cycle: u64,
    rng: &mut SplitMix64,
) -> Option<usize> {
    let mut queue = queue.enumerate().peekable();
    queue.peek()?;
    if !reorder {
        return Some(0);
    }
    let mut heads: [Option<usize>; 16] = [None; 16];
    let mut n = 0;
    let mut seen = 0u64;
    for (i, (id, ready_at)) in queue {
        let bit = 1u64 << (id & 63);
        if seen & bit != 0 {
            continue;
        }
        seen |= bit;
        if ready_at <= cycle && n < heads.len() {
            heads[n] = Some(i);
            n += 1;
        }
    }
    if n == 0 {
        return Some(0);
    }
    heads[rng.below(n as u64) as usize]
}
