//! Frames on the wire: counts each way, and the frames themselves (kept by
//! the testbench's wire capture) when a run records them.

use serde::Serialize;

pub use crate::sim::{WireDir, WireFrame};

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
