//! Wire capture as a layer beside the wire ports: [`WireCapture`] keeps
//! every frame that leaves the RX source into the NIC and every frame the
//! TX sink collects from it, with its cycle and direction. The testbench
//! feeds it once per completed frame while it is switched on
//! ([`crate::Sim::capture_wire`]); the stream models and the step know
//! nothing of what is kept or how it is written (pcap is the command
//! line's business).

use serde::Serialize;

use crate::bus::RxFrame;

/// Direction of a frame on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WireDir {
    /// Into the NIC's RX port.
    In,
    /// Out of the NIC's TX port.
    Out,
}

/// A frame seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// Cycle it was on the wire: RX, the handshake of its last beat; TX,
    /// the handshake of its first beat.
    pub cycle: u64,
    /// Direction.
    pub dir: WireDir,
    /// Bytes.
    pub data: Vec<u8>,
}

/// The frames on the wire since the capture was switched on, in the order
/// they completed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireCapture {
    frames: Vec<WireFrame>,
}

impl WireCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// `data` left the RX source with its last beat's handshake at `cycle`.
    pub(super) fn frame_in(&mut self, cycle: u64, data: Vec<u8>) {
        self.frames.push(WireFrame {
            cycle,
            dir: WireDir::In,
            data,
        });
    }

    /// The TX sink completed `frame`.
    pub(super) fn frame_out(&mut self, frame: &RxFrame) {
        self.frames.push(WireFrame {
            cycle: frame.first_cycle,
            dir: WireDir::Out,
            data: frame.data.clone(),
        });
    }

    /// The frames in the order they completed.
    pub fn frames(&self) -> &[WireFrame] {
        &self.frames
    }

    /// The frames sorted by their cycle (frames of the same cycle in the
    /// order they completed).
    pub fn into_frames(self) -> Vec<WireFrame> {
        let mut frames = self.frames;
        frames.sort_by_key(|f| f.cycle);
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_both_ways_and_sorts_by_cycle() {
        let mut c = WireCapture::new();
        c.frame_in(40, vec![1; 60]);
        c.frame_out(&RxFrame {
            data: vec![2; 64],
            first_cycle: 30,
            last_cycle: 45,
        });
        c.frame_in(50, vec![3; 61]);
        let dirs: Vec<_> = c.frames().iter().map(|f| (f.cycle, f.dir)).collect();
        assert_eq!(
            dirs,
            [(40, WireDir::In), (30, WireDir::Out), (50, WireDir::In)]
        );
        let sorted = c.into_frames();
        assert_eq!(
            sorted.iter().map(|f| f.cycle).collect::<Vec<_>>(),
            [30, 40, 50]
        );
        assert_eq!(sorted[0].data, vec![2; 64]);
        assert_eq!(sorted[1].data, vec![1; 60]);
    }
}
