//! Frames on the wire: counts each way, and the frames themselves when a
//! run records them.

use serde::Serialize;

/// Frames and bytes each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WireCounts {
    /// Frames the wire delivered into the NIC's RX port.
    pub rx_frames: u64,
    /// Their bytes.
    pub rx_bytes: u64,
    /// Frames the NIC sent out of its TX port (onto the wire).
    pub tx_frames: u64,
    /// Their bytes.
    pub tx_bytes: u64,
    /// Frames the driver accepted for transmit (`xmit`).
    pub xmit_frames: u64,
    /// Their bytes.
    pub xmit_bytes: u64,
    /// Frames the stack received (PASS).
    pub stack_frames: u64,
    /// Their bytes.
    pub stack_bytes: u64,
}

/// Direction of a frame on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WireDir {
    /// Into the NIC's RX port.
    In,
    /// Out of the NIC's TX port.
    Out,
}

/// A frame seen on the wire (recorded only for `--pcap-out`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// Cycle it was on the wire (RX: the step in which it left the source).
    pub cycle: u64,
    /// Direction.
    pub dir: WireDir,
    /// Bytes.
    pub data: Vec<u8>,
}
