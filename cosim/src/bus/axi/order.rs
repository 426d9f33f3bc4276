//! Which queued response the slave presents next, and when a response
//! already offered stays on the channel.

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

/// The response channel's hold rule (AXI: an offered beat stays valid
/// until taken) and the misbehaviour that breaks it: with `drop_early`, a
/// beat offered and not taken is withdrawn once, then offered again.
/// `valid` is the beat on the channel, `dropped` whether it was withdrawn.
/// True when the channel is settled for this cycle (nothing new to pick).
#[inline]
pub(super) fn hold_offered(valid: &mut bool, dropped: &mut bool, drop_early: bool) -> bool {
    if *valid {
        if drop_early && !*dropped {
            *dropped = true;
            *valid = false;
        }
        return true;
    }
    if *dropped {
        *dropped = false;
        *valid = true;
        return true;
    }
    false
}
