//! AXI-Stream source (frames into the NIC's RX port) and sink (frames out
//! of its TX port).

use std::collections::VecDeque;

use crate::rng::{Chance, SplitMix64};

/// One stream beat (either direction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxisBeat {
    pub valid: bool,
    pub data: u128,
    pub keep: u16,
    pub last: bool,
}

/// Configuration of [`AxisSource`].
#[derive(Debug, Clone, Copy)]
pub struct AxisSourceConfig {
    /// Bytes per beat (the NIC's AXI data width / 8).
    pub data_bytes: usize,
    /// Chance per cycle of an idle cycle between frames.
    pub idle_between_frames: Chance,
    /// Chance per cycle of a tvalid gap inside a frame (legal AXI-Stream;
    /// real MACs do not, so off by default).
    pub gap_in_frame: Chance,
    pub seed: u64,
    /// Deliberate violation: drop TVALID after one cycle if not accepted.
    pub drop_valid_early: bool,
}

impl Default for AxisSourceConfig {
    fn default() -> Self {
        Self {
            data_bytes: 8,
            idle_between_frames: Chance::NEVER,
            gap_in_frame: Chance::NEVER,
            seed: 0,
            drop_valid_early: false,
        }
    }
}

/// Errors of the stream models.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AxisError {
    #[error("cycle {cycle}: frame {frame}: TKEEP {keep:#x} is not contiguous from bit 0")]
    KeepNotContiguous { cycle: u64, frame: u64, keep: u16 },
    #[error("cycle {cycle}: frame {frame}: partial TKEEP {keep:#x} on a beat without TLAST")]
    PartialKeepMidFrame { cycle: u64, frame: u64, keep: u16 },
    #[error("cycle {cycle}: frame {frame}: TVALID gap inside the frame after {bytes} bytes")]
    GapInFrame {
        cycle: u64,
        frame: u64,
        bytes: usize,
    },
    #[error("cycle {cycle}: frame {frame}: TVALID dropped before TREADY")]
    ValidDropped { cycle: u64, frame: u64 },
    #[error("cycle {cycle}: frame {frame}: payload changed while TVALID and not TREADY: {was:?} -> {now:?}")]
    PayloadChanged {
        cycle: u64,
        frame: u64,
        was: AxisBeat,
        now: AxisBeat,
    },
    #[error("cannot send an empty frame")]
    EmptyFrame,
    #[error("invalid stream configuration: {0}")]
    Config(String),
}

/// Feeds queued frames into a stream input.
#[derive(Debug)]
pub struct AxisSource {
    cfg: AxisSourceConfig,
    rng: SplitMix64,
    frames: VecDeque<Vec<u8>>,
    pos: usize,
    out: AxisBeat,
    dropped: bool,
    sent: u64,
    /// No new frame is started (the link is held, e.g. down while the NIC
    /// resets); the frame in flight finishes.
    held: bool,
}

fn keep_mask(n: usize) -> u16 {
    if n >= 16 {
        u16::MAX
    } else {
        (1u16 << n) - 1
    }
}

impl AxisSource {
    pub fn new(cfg: AxisSourceConfig) -> Result<Self, AxisError> {
        if !matches!(cfg.data_bytes, 1 | 2 | 4 | 8 | 16) {
            return Err(AxisError::Config(format!(
                "data_bytes {} must be 1..=16, a power of two",
                cfg.data_bytes
            )));
        }
        Ok(Self {
            rng: SplitMix64::new(cfg.seed),
            cfg,
            frames: VecDeque::new(),
            pos: 0,
            out: AxisBeat::default(),
            dropped: false,
            sent: 0,
            held: false,
        })
    }

    /// Queues a frame.
    pub fn push(&mut self, frame: Vec<u8>) -> Result<(), AxisError> {
        if frame.is_empty() {
            return Err(AxisError::EmptyFrame);
        }
        self.frames.push_back(frame);
        Ok(())
    }

    /// Frames queued or in flight.
    pub fn pending(&self) -> usize {
        self.frames.len()
    }
    /// Frames fully accepted by the DUT.
    pub fn sent(&self) -> u64 {
        self.sent
    }
    pub fn is_idle(&self) -> bool {
        self.frames.is_empty()
    }

    /// Holds the link (no new frame starts; the one in flight finishes) or
    /// releases it.
    pub fn hold(&mut self, held: bool) {
        self.held = held;
    }

    /// Whether no frame is in flight (between two frames, or none queued).
    pub fn between_frames(&self) -> bool {
        self.pos == 0 && !self.out.valid
    }

    /// The source's outputs for this cycle.
    #[inline]
    pub fn drive(&mut self) -> AxisBeat {
        if self.out.valid {
            // Offered and not taken: hold.
            if self.cfg.drop_valid_early && !self.dropped {
                self.dropped = true;
                self.out.valid = false;
            }
            return self.out;
        }
        if self.dropped {
            self.dropped = false;
            self.out.valid = true;
            return self.out;
        }
        let Some(f) = self.frames.front() else {
            return self.out;
        };
        if self.held && self.pos == 0 {
            return self.out;
        }
        let idle = if self.pos == 0 {
            self.cfg.idle_between_frames
        } else {
            self.cfg.gap_in_frame
        };
        if self.rng.hit(idle) {
            return self.out;
        }
        let bw = self.cfg.data_bytes;
        let n = (f.len() - self.pos).min(bw);
        let mut lanes = [0u8; 16];
        lanes[..n].copy_from_slice(&f[self.pos..self.pos + n]);
        self.out = AxisBeat {
            valid: true,
            data: u128::from_le_bytes(lanes),
            keep: keep_mask(n),
            last: self.pos + n == f.len(),
        };
        self.out
    }

    /// `tready` sampled before the edge. Returns the frame whose last beat
    /// this handshake took, if it did.
    #[inline]
    pub fn update(&mut self, tready: bool) -> Option<Vec<u8>> {
        if !(self.out.valid && tready) {
            return None;
        }
        self.out.valid = false;
        self.pos += self.cfg.data_bytes;
        if !self.out.last {
            return None;
        }
        self.pos = 0;
        self.sent += 1;
        self.frames.pop_front()
    }
}

/// Configuration of [`AxisSink`].
#[derive(Debug, Clone, Copy)]
pub struct AxisSinkConfig {
    pub data_bytes: usize,
    /// Chance per cycle that TREADY is low.
    pub stall: Chance,
    pub seed: u64,
}

impl Default for AxisSinkConfig {
    fn default() -> Self {
        Self {
            data_bytes: 8,
            stall: Chance::NEVER,
            seed: 0,
        }
    }
}

/// A frame collected by the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxFrame {
    pub data: Vec<u8>,
    /// Cycles of the first and the last beat's handshake.
    pub first_cycle: u64,
    pub last_cycle: u64,
}

/// Collects frames from a stream output, checking the stream rules the NIC
/// promises: TKEEP contiguous from bit 0 and partial only with TLAST, no
/// TVALID gap inside a frame, TVALID held and payload stable until TREADY.
#[derive(Debug)]
pub struct AxisSink {
    cfg: AxisSinkConfig,
    rng: SplitMix64,
    ready: bool,
    prev: AxisBeat,
    prev_ready: bool,
    cur: Vec<u8>,
    cur_first: u64,
    in_frame: bool,
    frames: VecDeque<RxFrame>,
    count: u64,
}

impl AxisSink {
    pub fn new(cfg: AxisSinkConfig) -> Result<Self, AxisError> {
        if !matches!(cfg.data_bytes, 1 | 2 | 4 | 8 | 16) {
            return Err(AxisError::Config(format!(
                "data_bytes {} must be 1..=16, a power of two",
                cfg.data_bytes
            )));
        }
        Ok(Self {
            rng: SplitMix64::new(cfg.seed),
            cfg,
            ready: false,
            prev: AxisBeat::default(),
            prev_ready: true,
            cur: Vec::new(),
            cur_first: 0,
            in_frame: false,
            frames: VecDeque::new(),
            count: 0,
        })
    }

    pub fn set_stall(&mut self, stall: Chance) {
        self.cfg.stall = stall;
    }

    /// TREADY for this cycle.
    #[inline]
    pub fn drive(&mut self) -> bool {
        self.ready = !self.rng.hit(self.cfg.stall);
        self.ready
    }

    /// The stream sampled before the edge of `cycle`. Returns the frame
    /// this beat completed, if it did (the newest of [`AxisSink::frames`]).
    #[inline]
    pub fn update(&mut self, b: &AxisBeat, cycle: u64) -> Result<Option<&RxFrame>, AxisError> {
        let prev = self.prev;
        let prev_ready = self.prev_ready;
        self.prev = *b;
        self.prev_ready = self.ready;
        if !b.valid && !self.in_frame && !prev.valid {
            return Ok(None);
        }
        let frame = self.count;
        if prev.valid && !prev_ready {
            if !b.valid {
                return Err(AxisError::ValidDropped { cycle, frame });
            }
            if *b != prev {
                return Err(AxisError::PayloadChanged {
                    cycle,
                    frame,
                    was: prev,
                    now: *b,
                });
            }
        }
        if !b.valid {
            if self.in_frame {
                return Err(AxisError::GapInFrame {
                    cycle,
                    frame,
                    bytes: self.cur.len(),
                });
            }
            return Ok(None);
        }
        if !self.ready {
            return Ok(None);
        }
        let keep = b.keep & keep_mask(self.cfg.data_bytes);
        if keep == 0 || keep & keep.wrapping_add(1) != 0 {
            return Err(AxisError::KeepNotContiguous {
                cycle,
                frame,
                keep: b.keep,
            });
        }
        if !b.last && keep != keep_mask(self.cfg.data_bytes) {
            return Err(AxisError::PartialKeepMidFrame {
                cycle,
                frame,
                keep: b.keep,
            });
        }
        if !self.in_frame {
            self.in_frame = true;
            self.cur_first = cycle;
        }
        let n = keep.count_ones() as usize;
        for k in 0..n {
            self.cur.push((b.data >> (8 * k)) as u8);
        }
        if b.last {
            self.in_frame = false;
            self.count += 1;
            self.frames.push_back(RxFrame {
                data: std::mem::take(&mut self.cur),
                first_cycle: self.cur_first,
                last_cycle: cycle,
            });
            return Ok(self.frames.back());
        }
        Ok(None)
    }

    /// Frames received and not yet taken.
    pub fn frames(&self) -> &VecDeque<RxFrame> {
        &self.frames
    }
    pub fn pop(&mut self) -> Option<RxFrame> {
        self.frames.pop_front()
    }
    pub fn take_all(&mut self) -> Vec<RxFrame> {
        self.frames.drain(..).collect()
    }
    /// Frames received in total.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Chance;

    #[test]
    fn axis_source_to_sink_roundtrip_with_idles_and_backpressure() {
        // Both stream widths of the NIC: 8 and 16 bytes per beat (a full
        // 16-byte beat has every tkeep bit set).
        for (seed, data_bytes) in [(3u64, 8), (4, 8), (5, 16), (6, 16)] {
            let mut src = AxisSource::new(AxisSourceConfig {
                idle_between_frames: Chance::percent(30),
                seed,
                data_bytes,
                ..Default::default()
            })
            .unwrap();
            let mut sink = AxisSink::new(AxisSinkConfig {
                stall: Chance::percent(40),
                seed,
                data_bytes,
            })
            .unwrap();
            let frames: Vec<Vec<u8>> = [1usize, 7, 8, 9, 60, 61, 1518]
                .iter()
                .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
                .collect();
            for f in &frames {
                src.push(f.clone()).unwrap();
            }
            let mut c = 0;
            while sink.count() < frames.len() as u64 {
                let ready = sink.drive();
                let beat = src.drive();
                sink.update(&beat, c).unwrap();
                src.update(ready);
                c += 1;
                assert!(c < 10_000);
            }
            let got: Vec<Vec<u8>> = sink.take_all().into_iter().map(|f| f.data).collect();
            assert_eq!(got, frames, "seed {seed}");
            assert_eq!(src.sent(), frames.len() as u64);
            assert!(src.push(Vec::new()).is_err());
        }
    }

    #[test]
    fn a_held_source_finishes_its_frame_and_starts_no_other() {
        let mut src = AxisSource::new(AxisSourceConfig::default()).unwrap();
        src.push(vec![1; 20]).unwrap();
        src.push(vec![2; 20]).unwrap();
        assert!(src.between_frames());
        assert!(src.drive().valid);
        src.update(true);
        assert!(!src.between_frames(), "8 of 20 bytes sent");
        src.hold(true);
        let mut beats = 0;
        while !src.between_frames() {
            assert!(src.drive().valid, "the frame in flight goes on");
            src.update(true);
            beats += 1;
        }
        assert_eq!((beats, src.sent()), (2, 1));
        for _ in 0..10 {
            assert!(!src.drive().valid, "held: no new frame");
            src.update(true);
        }
        assert_eq!((src.sent(), src.pending()), (1, 1));
        src.hold(false);
        assert!(src.drive().valid);
    }

    #[test]
    fn axis_sink_rejects_bad_keep_gaps_and_unstable_payload() {
        let beat = |data: u128, keep: u16, last: bool| AxisBeat {
            valid: true,
            data,
            keep,
            last,
        };
        let new = || AxisSink::new(AxisSinkConfig::default()).unwrap();

        let mut s = new();
        s.drive();
        let e = s.update(&beat(0, 0b1011, true), 0).unwrap_err();
        assert!(
            matches!(e, AxisError::KeepNotContiguous { keep: 0b1011, .. }),
            "{e}"
        );

        let mut s = new();
        s.drive();
        let e = s.update(&beat(0, 0x0f, false), 0).unwrap_err();
        assert!(matches!(e, AxisError::PartialKeepMidFrame { .. }), "{e}");

        let mut s = new();
        s.drive();
        s.update(&beat(1, 0xff, false), 0).unwrap();
        s.drive();
        let e = s.update(&AxisBeat::default(), 1).unwrap_err();
        assert!(
            matches!(
                e,
                AxisError::GapInFrame {
                    cycle: 1,
                    bytes: 8,
                    ..
                }
            ),
            "{e}"
        );

        let mut s = AxisSink::new(AxisSinkConfig {
            stall: Chance::percent(100),
            ..Default::default()
        })
        .unwrap();
        s.drive();
        s.update(&beat(1, 0xff, true), 0).unwrap();
        s.drive();
        let e = s.update(&beat(2, 0xff, true), 1).unwrap_err();
        assert!(
            matches!(e, AxisError::PayloadChanged { cycle: 1, .. }),
            "{e}"
        );
    }
}
