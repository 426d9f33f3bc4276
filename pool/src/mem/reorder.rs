//! The CPU accesses of the weak-ordering mode (`weak`): the store buffer
//! the CPU's writes wait in, their forwarding to its own reads, the
//! hoisted re-reads, the drain into RAM and the read fence.

use super::frames::Frame;
use super::memory::MemInner;
use super::weak::{LineRead, Pending, MAX_LINE};
use crate::lock::lock;

impl Frame {
    /// Whether the weak-ordering mode buffers the CPU's writes to it: the
    /// CPU writes RAM directly and a device can see it.
    #[inline]
    pub(super) fn weakly_ordered(&self) -> bool {
        self.dma_visible() && (self.cpu.is_empty() || self.coherent)
    }
}

impl MemInner {
    /// Buffers a CPU write of `data` at byte `off` of frame `pfn`.
    pub(super) fn weak_write(&self, now: u64, pfn: u64, off: usize, data: &[u8]) {
        let Some(weak) = &self.weak else { return };
        let mut w = lock(weak);
        let bytes = off..off + data.len();
        let after = w
            .pending
            .iter()
            .filter(|p| p.overlaps(pfn, &bytes))
            .map(|p| p.due)
            .max()
            .unwrap_or(0);
        let max_delay = w.cfg.max_write_delay;
        let delay = 1 + w.draw(max_delay);
        w.pending.push(Pending {
            due: (now + delay).max(after),
            pfn,
            off,
            data: data.to_vec(),
        });
    }

    /// Puts the CPU's buffered writes to `[off, off+buf.len())` of frame
    /// `pfn` over `buf` (read from RAM): the CPU sees its own writes.
    pub(super) fn weak_forward(&self, pfn: u64, off: usize, buf: &mut [u8]) {
        let Some(weak) = &self.weak else { return };
        let w = lock(weak);
        let bytes = off..off + buf.len();
        for p in w.pending.iter().filter(|p| p.overlaps(pfn, &bytes)) {
            p.overlay(off, buf);
        }
    }

    /// Makes the CPU's read of `buf` (at byte `off` of frame `pfn`, already
    /// holding what the CPU sees now) return, line by line (the platform's
    /// lines), the previous read's bytes where the model hoists the load.
    pub(super) fn weak_read(&self, now: u64, pfn: u64, off: usize, buf: &mut [u8]) {
        let Some(weak) = &self.weak else { return };
        let size = self.cache_line().bytes();
        let mut fresh = Vec::new();
        {
            let mut w = lock(weak);
            let first = off / size;
            let last = (off + buf.len()).div_ceil(size);
            for line in first..last {
                let (epoch, window, percent) =
                    (w.epoch, w.cfg.read_window, w.cfg.stale_read_percent);
                let unfenced = w
                    .reads
                    .get(&(pfn, line))
                    .is_some_and(|r| r.epoch == epoch && now <= r.cycle + window);
                if unfenced && w.draw(100) < u64::from(percent) {
                    let snap = &w.reads[&(pfn, line)].bytes;
                    let a = (line * size).max(off);
                    let b = ((line + 1) * size).min(off + buf.len());
                    let base = line * size;
                    buf[a - off..b - off].copy_from_slice(&snap[a - base..b - base]);
                } else {
                    fresh.push(line);
                }
            }
        }
        for line in fresh {
            let bytes = self.cpu_line(pfn, line, size);
            let Some(weak) = &self.weak else { return };
            let mut w = lock(weak);
            let epoch = w.epoch;
            w.reads.insert(
                (pfn, line),
                LineRead {
                    cycle: now,
                    epoch,
                    bytes,
                },
            );
        }
    }

    /// The bytes of line `line` (of `size` bytes) as the CPU sees them now
    /// (RAM and its buffered writes), at the start of the array.
    fn cpu_line(&self, pfn: u64, line: usize, size: usize) -> [u8; MAX_LINE] {
        let r = line * size..(line + 1) * size;
        let mut bytes = [0u8; MAX_LINE];
        let seen = &mut bytes[..size];
        seen.copy_from_slice(&lock(&self.frames[pfn as usize]).ram[r.clone()]);
        self.weak_forward(pfn, r.start, seen);
        bytes
    }

    /// Moves the buffered writes due by cycle `now` (all of them with
    /// `everything`) to RAM, in program order.
    pub(crate) fn weak_drain(&self, now: u64, everything: bool) {
        let Some(weak) = &self.weak else { return };
        let due: Vec<Pending> = {
            let mut w = lock(weak);
            if w.pending.is_empty() {
                return;
            }
            let (due, keep) = std::mem::take(&mut w.pending)
                .into_iter()
                .partition(|p| everything || p.due <= now);
            w.pending = keep;
            due
        };
        for p in due {
            let mut f = lock(&self.frames[p.pfn as usize]);
            f.ram[p.off..p.off + p.data.len()].copy_from_slice(&p.data);
        }
    }

    /// A read fence: later reads are ordered after earlier ones.
    pub(super) fn weak_read_fence(&self) {
        if let Some(weak) = &self.weak {
            lock(weak).epoch += 1;
        }
    }
}
