//! The AXI4 channels' signals as the master (the NIC) and the slave (this
//! model) drive them, one cycle's worth.

use ::axi::Resp;

/// An address-channel beat (AW or AR) as the master drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddrBeat {
    pub valid: bool,
    pub id: u8,
    pub addr: u64,
    pub len: u8,
    pub size: u8,
    pub burst: u8,
}

/// A W beat as the master drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WBeat {
    pub valid: bool,
    pub data: u128,
    pub strb: u16,
    pub last: bool,
}

/// Everything the AXI master (the NIC) drives, sampled before the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxiMasterSignals {
    pub aw: AddrBeat,
    pub w: WBeat,
    pub bready: bool,
    pub ar: AddrBeat,
    pub rready: bool,
}

/// A B beat as the slave drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BBeat {
    pub valid: bool,
    pub id: u8,
    pub resp: Resp,
}

/// An R beat as the slave drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RBeat {
    pub valid: bool,
    pub id: u8,
    pub data: u128,
    pub resp: Resp,
    pub last: bool,
}

/// Everything the slave (this model) drives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxiSlaveSignals {
    pub awready: bool,
    pub wready: bool,
    pub arready: bool,
    pub b: BBeat,
    pub r: RBeat,
}

/// An AXI channel, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Aw,
    W,
    B,
    Ar,
    R,
}
