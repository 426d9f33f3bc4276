//! The register settings the monitor learned from the driver's writes
//! (as the NIC accepted them: applied on an OKAY response).

use nic_hw::regs::{self, ctrl};

use super::violation::Ring;

fn reset_of(off: u32) -> u32 {
    regs::REGISTERS
        .iter()
        .find(|r| r.offset == off)
        .map_or(0, |r| r.reset)
}

/// The settings the contract depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegView {
    pub ctrl: u32,
    pub irq_mask: u32,
    pub coal_frames: u32,
    pub coal_cycles: u32,
    pub max_frame_len: u32,
    pub rx_headroom: u32,
    ring_base: [u64; 2],
    cq_base: [u64; 2],
    ring_size: [u16; 2],
}

impl Default for RegView {
    fn default() -> Self {
        Self {
            ctrl: reset_of(regs::CTRL),
            irq_mask: reset_of(regs::IRQ_MASK),
            coal_frames: reset_of(regs::IRQ_COAL_FRAMES),
            coal_cycles: reset_of(regs::IRQ_COAL_CYCLES),
            max_frame_len: reset_of(regs::MAX_FRAME_LEN),
            rx_headroom: reset_of(regs::RX_HEADROOM),
            ring_base: [0; 2],
            cq_base: [0; 2],
            ring_size: [0; 2],
        }
    }
}

fn set_lo(v: &mut u64, lo: u32) {
    *v = (*v & !0xffff_ffff) | u64::from(lo);
}
fn set_hi(v: &mut u64, hi: u32) {
    *v = (*v & 0xffff_ffff) | (u64::from(hi) << 32);
}

/// What an accepted write changed that the rest of the monitor acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegChange {
    None,
    /// A ring size was written: that ring's indices restart at 0.
    RingSize(Ring),
    /// A coalescing setting changed.
    Coalescing,
    /// IRQ_MASK changed.
    Mask,
}

impl RegView {
    pub fn enabled(&self) -> bool {
        self.ctrl & ctrl::ENABLE != 0
    }
    pub fn loopback(&self) -> bool {
        self.ctrl & ctrl::LOOPBACK != 0
    }
    pub fn ring_base(&self, r: Ring) -> u64 {
        self.ring_base[r as usize]
    }
    pub fn cq_base(&self, r: Ring) -> u64 {
        self.cq_base[r as usize]
    }
    /// Entries (0: never configured).
    pub fn ring_size(&self, r: Ring) -> u16 {
        self.ring_size[r as usize]
    }

    /// Applies a write the NIC answered OKAY.
    pub fn apply(&mut self, reg: u32, v: u32) -> RegChange {
        let (rx, tx) = (Ring::Rx as usize, Ring::Tx as usize);
        match reg {
            regs::CTRL => self.ctrl = v & (ctrl::ENABLE | ctrl::LOOPBACK),
            regs::IRQ_MASK => {
                self.irq_mask = v & 0xf;
                return RegChange::Mask;
            }
            regs::IRQ_COAL_FRAMES => {
                self.coal_frames = v;
                return RegChange::Coalescing;
            }
            regs::IRQ_COAL_CYCLES => {
                self.coal_cycles = v;
                return RegChange::Coalescing;
            }
            regs::MAX_FRAME_LEN => self.max_frame_len = v,
            regs::RX_HEADROOM => self.rx_headroom = v,
            regs::RX_RING_BASE_LO => set_lo(&mut self.ring_base[rx], v),
            regs::RX_RING_BASE_HI => set_hi(&mut self.ring_base[rx], v),
            regs::RX_CQ_BASE_LO => set_lo(&mut self.cq_base[rx], v),
            regs::RX_CQ_BASE_HI => set_hi(&mut self.cq_base[rx], v),
            regs::TX_RING_BASE_LO => set_lo(&mut self.ring_base[tx], v),
            regs::TX_RING_BASE_HI => set_hi(&mut self.ring_base[tx], v),
            regs::TX_CQ_BASE_LO => set_lo(&mut self.cq_base[tx], v),
            regs::TX_CQ_BASE_HI => set_hi(&mut self.cq_base[tx], v),
            regs::RX_RING_SIZE => {
                self.ring_size[rx] = v as u16;
                return RegChange::RingSize(Ring::Rx);
            }
            regs::TX_RING_SIZE => {
                self.ring_size[tx] = v as u16;
                return RegChange::RingSize(Ring::Tx);
            }
            _ => {}
        }
        RegChange::None
    }
}
