//! The scoreboard's RX side: every frame that entered the NIC (from the RX
//! stream, or looped back from TX), in order, until it completes or is
//! resolved as a drop; the reasons the stimulus allows for each drop, and
//! the per-reason counts the NIC's drop counters must lie between.

use std::collections::VecDeque;

use nic_hw::wire::Descriptor;

use super::mismatch::{DropReason, ScoreboardMismatch};

/// Cycles of slack between the monitor learning a register setting or a
/// frame's arrival and the NIC acting on it.
const SLACK: u64 = 4;

#[derive(Debug)]
struct Entered {
    n: u64,
    data: Vec<u8>,
    entered: u64,
    /// Drop reasons that became plausible while it waited (OFF, DMA_ERR).
    reasons: u8,
    /// The smallest MAX_FRAME_LEN in force while it waited.
    max_len: u32,
}

/// The head descriptor a frame met when the NIC decided about it.
#[derive(Debug, Clone, Copy)]
pub struct HeadDesc {
    pub desc: Option<Descriptor>,
    pub doorbelled: u64,
}

/// The frames in flight through the RX path and the drop counts so far.
#[derive(Debug, Default)]
pub struct RxFrames {
    queue: VecDeque<Entered>,
    next_n: u64,
    /// Drops whose only plausible reason is this one.
    certain: [u64; 4],
    /// Drops for which this reason is plausible.
    plausible: [u64; 4],
    /// Cycle of the last drop resolved (for the RX_DROP interrupt cause).
    pub last_drop: Option<u64>,
}

impl RxFrames {
    /// Frames entered and neither completed nor resolved as drops.
    pub fn unresolved(&self) -> usize {
        self.queue.len()
    }

    /// A frame entered at `cycle`; `reasons` are the drop reasons already
    /// plausible (RX off or stopped now).
    pub fn enter(&mut self, data: Vec<u8>, cycle: u64, reasons: u8, max_len: u32) {
        self.next_n += 1;
        self.queue.push_back(Entered {
            n: self.next_n - 1,
            data,
            entered: cycle,
            reasons,
            max_len,
        });
    }

    /// `reason` became plausible for every frame waiting.
    pub fn allow(&mut self, reason: DropReason) {
        for f in &mut self.queue {
            f.reasons |= reason.bit();
        }
    }

    /// MAX_FRAME_LEN changed to `v`.
    pub fn max_len_changed(&mut self, v: u32) {
        for f in &mut self.queue {
            f.max_len = f.max_len.min(v);
        }
    }

    fn reasons(f: &Entered, head: Option<HeadDesc>) -> u8 {
        let mut r = f.reasons;
        let len = f.data.len() as u64;
        if len > u64::from(f.max_len) {
            r |= DropReason::TooLong.bit();
        }
        match head {
            None => r |= DropReason::NoDesc.bit(),
            Some(h) => {
                if h.doorbelled + SLACK >= f.entered {
                    r |= DropReason::NoDesc.bit();
                }
                if h.desc.is_some_and(|d| len > u64::from(d.len())) {
                    r |= DropReason::TooLong.bit();
                }
            }
        }
        r
    }

    fn resolve_drop(
        &mut self,
        f: &Entered,
        head: Option<HeadDesc>,
        cycle: u64,
        out: &mut Vec<ScoreboardMismatch>,
    ) {
        let r = Self::reasons(f, head);
        if r == 0 {
            out.push(ScoreboardMismatch::RxDropUnexplained {
                frame: f.n,
                len: f.data.len(),
                entered: f.entered,
                cycle,
            });
        }
        for reason in DropReason::ALL {
            if r & reason.bit() != 0 {
                self.plausible[reason as usize] += 1;
                if r == reason.bit() {
                    self.certain[reason as usize] += 1;
                }
            }
        }
        self.last_drop = Some(cycle);
    }

    /// Descriptor `idx` (`head`) completed with `len` bytes, `image` being
    /// its buffer's first bytes: the frame it holds is the first frame
    /// waiting that matches, every frame before it a drop.
    pub fn completed_with(
        &mut self,
        idx: u16,
        head: HeadDesc,
        len: u32,
        image: &[u8],
        cycle: u64,
        out: &mut Vec<ScoreboardMismatch>,
    ) {
        let matches = |f: &Entered| f.data.len() == len as usize && f.data == image;
        let mut upto = None;
        for (i, f) in self.queue.iter().enumerate() {
            if matches(f) {
                upto = Some(i);
                break;
            }
            if Self::reasons(f, Some(head)) == 0 {
                out.push(ScoreboardMismatch::RxFrameMismatch {
                    idx,
                    frame: f.n,
                    expected_len: f.data.len(),
                    seen_len: len,
                    first_diff: f.data.iter().zip(image).position(|(a, b)| a != b),
                    cycle,
                });
                upto = Some(i);
                break;
            }
        }
        let Some(i) = upto else {
            out.push(ScoreboardMismatch::RxCompletionWithoutFrame { idx, len, cycle });
            return;
        };
        let skipped: Vec<Entered> = self.queue.drain(..i).collect();
        for f in &skipped {
            self.resolve_drop(f, Some(head), cycle, out);
        }
        self.queue.pop_front();
    }

    /// The end of the run: every frame still waiting was dropped.
    pub fn finish(
        &mut self,
        head: Option<HeadDesc>,
        cycle: u64,
        out: &mut Vec<ScoreboardMismatch>,
    ) {
        for f in std::mem::take(&mut self.queue) {
            self.resolve_drop(&f, head, cycle, out);
        }
    }

    /// The NIC's counter for `reason` read `value`; `min` is the certain
    /// count when its read was taken.
    pub fn check_counter(
        &self,
        reason: DropReason,
        value: u32,
        min: u64,
        cycle: u64,
        out: &mut Vec<ScoreboardMismatch>,
    ) {
        let max = self.plausible[reason as usize] + self.queue.len() as u64;
        let v = u64::from(value);
        if v < min || v > max {
            out.push(ScoreboardMismatch::DropCounter {
                reason,
                value,
                min,
                max,
                cycle,
            });
        }
    }

    /// The certain count of `reason` now.
    pub fn certain(&self, reason: DropReason) -> u64 {
        self.certain[reason as usize]
    }

    /// Soft or hard reset: the NIC's counters restart, frames in it are
    /// lost uncounted.
    pub fn reset(&mut self) {
        *self = Self {
            next_n: self.next_n,
            ..Self::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(len: u32, doorbelled: u64) -> HeadDesc {
        HeadDesc {
            desc: Some(Descriptor::new(0x1000, len, 0)),
            doorbelled,
        }
    }

    #[test]
    fn skipped_frames_need_a_reason_and_count_by_reason() {
        let mut f = RxFrames::default();
        let mut out = Vec::new();
        f.enter(vec![1; 2000], 100, 0, 1518);
        f.enter(vec![2; 60], 110, 0, 1518);
        f.completed_with(0, head(2048, 0), 60, &[2; 60], 200, &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(f.certain(DropReason::TooLong), 1);
        f.check_counter(DropReason::TooLong, 1, 1, 210, &mut out);
        assert!(out.is_empty());
        f.check_counter(DropReason::TooLong, 0, 1, 210, &mut out);
        assert_eq!(out[0].class(), "scoreboard/drop-counter");
        out.clear();
        // A frame that fits, with a descriptor posted long before: no reason.
        f.enter(vec![3; 60], 300, 0, 1518);
        f.enter(vec![4; 60], 310, 0, 1518);
        f.completed_with(1, head(2048, 0), 60, &[4; 60], 400, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].class(), "scoreboard/rx-frame-mismatch", "{}", out[0]);
        out.clear();
        f.completed_with(2, head(2048, 0), 60, &[4; 60], 500, &mut out);
        assert!(out.is_empty(), "{out:?}");
        f.completed_with(3, head(2048, 0), 60, &[9; 60], 600, &mut out);
        assert_eq!(out[0].class(), "scoreboard/rx-completion-without-frame");
    }

    #[test]
    fn no_desc_only_when_the_descriptor_came_after_the_frame() {
        let mut f = RxFrames::default();
        let mut out = Vec::new();
        f.enter(vec![1; 60], 100, 0, 1518);
        f.finish(Some(head(2048, 50)), 900, &mut out);
        assert_eq!(
            out[0].class(),
            "scoreboard/rx-drop-unexplained",
            "{}",
            out[0]
        );
        out.clear();
        f.enter(vec![1; 60], 100, 0, 1518);
        f.finish(None, 900, &mut out);
        assert!(out.is_empty());
        assert_eq!(f.certain(DropReason::NoDesc), 1);
    }
}
