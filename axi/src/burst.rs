//! One burst: its direction, address request, outcome and timing.

use serde::Serialize;

use crate::Resp;

/// Direction of a DMA burst, seen from the device. Printed and serialized
/// in lower case (`read`, `write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Device reads host memory (AR/R).
    Read,
    /// Device writes host memory (AW/W/B).
    Write,
}

impl Dir {
    /// The address channel of the direction: `AR` or `AW`.
    pub const fn addr_channel(self) -> &'static str {
        match self {
            Dir::Read => "AR",
            Dir::Write => "AW",
        }
    }
}

impl std::fmt::Display for Dir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dir::Read => "read",
            Dir::Write => "write",
        })
    }
}

/// One AXI4 burst: the address request as it was accepted, the bytes it
/// moved, its response and the cycles of its address handshake and of its
/// end. Displayed as the request (`AW id 0 addr 0x1000 len 3 (4 beats)
/// size 3 burst 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Burst {
    pub dir: Dir,
    pub id: u8,
    pub addr: u64,
    /// Beats (AxLEN + 1).
    pub beats: u16,
    /// AxSIZE and AxBURST as issued.
    pub size: u8,
    pub burst: u8,
    /// Read: bytes of the transfer (beats * bus width - the start offset).
    /// Write: bytes with their strobe set.
    pub bytes: u64,
    /// The burst's response (the first error response, else OKAY).
    pub resp: Resp,
    /// Cycle of the address handshake.
    pub cycle_addr: u64,
    /// Cycle of the last R beat / the B handshake (None while in flight).
    pub cycle_done: Option<u64>,
}

impl Burst {
    /// A burst as its address handshake at `cycle` requests it (`len` is
    /// AxLEN): nothing moved yet, OKAY, in flight.
    pub const fn requested(
        dir: Dir,
        id: u8,
        addr: u64,
        len: u8,
        size: u8,
        burst: u8,
        cycle: u64,
    ) -> Burst {
        Burst {
            dir,
            id,
            addr,
            beats: len as u16 + 1,
            size,
            burst,
            bytes: 0,
            resp: Resp::Okay,
            cycle_addr: cycle,
            cycle_done: None,
        }
    }

    /// AxLEN: beats - 1.
    pub const fn axlen(&self) -> u16 {
        self.beats.saturating_sub(1)
    }

    /// Whether the burst ended (last R beat or B seen).
    pub const fn is_complete(&self) -> bool {
        self.cycle_done.is_some()
    }

    /// Bytes from `addr` to the end of the last beat at AxSIZE.
    pub fn span(&self) -> u64 {
        let size = u32::from(self.size.min(63));
        (u64::from(self.beats) << size).saturating_sub(self.addr % (1u64 << size))
    }

    /// Whether the burst touches `[lo, hi)`.
    pub fn overlaps(&self, lo: u64, hi: u64) -> bool {
        let end = self.addr.saturating_add(self.span());
        self.addr < hi && lo < end
    }
}

impl std::fmt::Display for Burst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} id {} addr {:#x} len {} ({} beats) size {} burst {}",
            self.dir.addr_channel(),
            self.id,
            self.addr,
            self.axlen(),
            self.beats,
            self.size,
            self.burst
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_displays_as_its_address_beat() {
        let b = Burst::requested(Dir::Write, 2, 0x1ff8, 3, 3, 1, 40);
        assert_eq!(b.beats, 4);
        assert_eq!(b.axlen(), 3);
        assert!(!b.is_complete());
        assert_eq!(
            b.to_string(),
            "AW id 2 addr 0x1ff8 len 3 (4 beats) size 3 burst 1"
        );
        let r = Burst::requested(Dir::Read, 0, 0, 255, 4, 1, 0);
        assert_eq!(r.beats, 256);
        assert!(r
            .to_string()
            .starts_with("AR id 0 addr 0x0 len 255 (256 beats)"));
    }

    #[test]
    fn span_and_overlap_start_at_the_unaligned_address() {
        let b = Burst::requested(Dir::Read, 0, 0x1004, 1, 3, 1, 0);
        assert_eq!(b.span(), 12);
        assert!(b.overlaps(0x100f, 0x1010));
        assert!(!b.overlaps(0x1010, 0x2000));
        assert!(!b.overlaps(0x1000, 0x1004));
    }

    #[test]
    fn names_serialize_as_the_decoder_prints_them() {
        assert_eq!(Dir::Read.to_string(), "read");
        assert_eq!(Dir::Write.addr_channel(), "AW");
        assert!(Dir::Read < Dir::Write);
    }
}
