//! The free-frame bitmap of one NUMA node.

use bitvec::prelude::*;

/// Which frames of a node are allocated.
#[derive(Debug)]
pub(super) struct NodeAlloc {
    /// One bit per frame of the node, set = allocated.
    used: BitVec<u64, Lsb0>,
    /// Next-fit cursor for order-0 allocations.
    cursor: usize,
    /// Frames allocated.
    pub(super) allocated: usize,
}

impl NodeAlloc {
    /// A node of `frames` free frames.
    pub(super) fn new(frames: usize) -> Self {
        Self {
            used: bitvec![u64, Lsb0; 0; frames],
            cursor: 0,
            allocated: 0,
        }
    }

    /// Finds and marks a free naturally aligned block of `2^order` frames.
    pub(super) fn find_block(&mut self, order: u32) -> Option<usize> {
        let n = 1usize << order;
        let len = self.used.len();
        if order == 0 {
            let idx = self.used[self.cursor..]
                .first_zero()
                .map(|i| i + self.cursor)
                .or_else(|| self.used[..self.cursor].first_zero())?;
            self.used.set(idx, true);
            self.cursor = (idx + 1) % len;
            self.allocated += 1;
            return Some(idx);
        }
        let mut idx = 0;
        while idx + n <= len {
            if self.used[idx..idx + n].not_any() {
                self.used[idx..idx + n].fill(true);
                self.allocated += n;
                return Some(idx);
            }
            idx += n;
        }
        None
    }

    /// Marks the `2^order` frames at `idx` free again.
    pub(super) fn free_block(&mut self, idx: usize, order: u32) {
        self.used[idx..idx + (1usize << order)].fill(false);
        self.allocated -= 1usize << order;
    }
}
