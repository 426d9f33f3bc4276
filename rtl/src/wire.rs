//! Descriptor and completion formats, byte for byte as the RTL reads and
//! writes them (see `[[layout]]` in `rtl/regmap.toml`).
//!
//! The structs are `#[repr(C)]` with explicit little-endian fields, so their
//! in-memory image *is* the wire format on any host; the offsets are checked
//! against the generated layout constants at compile time. They are built and
//! parsed only through checked constructors.

use crate::regs::{cpl_layout, desc_layout, CPL_FLAG_PHASE, CPL_STATUS_BAD_LEN, CPL_STATUS_OK};
use core::mem::{offset_of, size_of};

macro_rules! le_int {
    ($name:ident, $ty:ty, $n:expr) => {
        /// A little-endian integer stored as bytes.
        #[repr(transparent)]
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name([u8; $n]);

        impl $name {
            #[inline]
            pub const fn new(v: $ty) -> Self {
                Self(v.to_le_bytes())
            }
            #[inline]
            pub const fn get(self) -> $ty {
                <$ty>::from_le_bytes(self.0)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{:#x}", self.get())
            }
        }
    };
}

le_int!(Le16, u16, 2);
le_int!(Le32, u32, 4);
le_int!(Le64, u64, 8);

/// Errors from parsing wire structures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("{what}: need {need} bytes, got {got}")]
    Truncated {
        what: &'static str,
        need: usize,
        got: usize,
    },
    #[error("completion status {0:#04x} is not a known status (0 OK, 1 BAD_LEN)")]
    UnknownStatus(u8),
    #[error("completion flags {0:#04x} has reserved bits set (only bit 0, PHASE, is defined)")]
    ReservedFlags(u8),
}

/// An RX or TX descriptor (driver -> device).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    addr: Le64,
    len: Le32,
    tag: Le32,
}

const _: () = {
    assert!(size_of::<Descriptor>() == desc_layout::SIZE);
    assert!(offset_of!(Descriptor, addr) == desc_layout::ADDR);
    assert!(size_of::<Le64>() == desc_layout::ADDR_BYTES);
    assert!(offset_of!(Descriptor, len) == desc_layout::LEN);
    assert!(size_of::<Le32>() == desc_layout::LEN_BYTES);
    assert!(offset_of!(Descriptor, tag) == desc_layout::TAG);
    assert!(size_of::<Le32>() == desc_layout::TAG_BYTES);
};

impl Descriptor {
    pub const SIZE: usize = desc_layout::SIZE;

    /// A descriptor for a buffer at DMA address `addr` (raw bus address).
    pub const fn new(addr: u64, len: u32, tag: u32) -> Self {
        Self {
            addr: Le64::new(addr),
            len: Le32::new(len),
            tag: Le32::new(tag),
        }
    }
    pub const fn addr(&self) -> u64 {
        self.addr.get()
    }
    pub const fn len(&self) -> u32 {
        self.len.get()
    }
    pub const fn is_empty(&self) -> bool {
        self.len.get() == 0
    }
    pub const fn tag(&self) -> u32 {
        self.tag.get()
    }

    /// The 16-byte image written to the ring.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[desc_layout::ADDR..desc_layout::ADDR + 8].copy_from_slice(&self.addr.0);
        b[desc_layout::LEN..desc_layout::LEN + 4].copy_from_slice(&self.len.0);
        b[desc_layout::TAG..desc_layout::TAG + 4].copy_from_slice(&self.tag.0);
        b
    }

    /// Parses the first 16 bytes of `b`.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        let b: &[u8; Self::SIZE] =
            b.get(..Self::SIZE)
                .and_then(|s| s.try_into().ok())
                .ok_or(WireError::Truncated {
                    what: "descriptor",
                    need: Self::SIZE,
                    got: b.len(),
                })?;
        Ok(Self {
            addr: Le64(field(b, desc_layout::ADDR)),
            len: Le32(field(b, desc_layout::LEN)),
            tag: Le32(field(b, desc_layout::TAG)),
        })
    }
}

/// Completion status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CplStatus {
    Ok,
    /// TX descriptor with length 0 or above MAX_FRAME_LEN; nothing was sent.
    BadLen,
}

impl CplStatus {
    pub const fn to_raw(self) -> u8 {
        match self {
            CplStatus::Ok => CPL_STATUS_OK as u8,
            CplStatus::BadLen => CPL_STATUS_BAD_LEN as u8,
        }
    }
    pub fn from_raw(v: u8) -> Result<Self, WireError> {
        match u64::from(v) {
            CPL_STATUS_OK => Ok(CplStatus::Ok),
            CPL_STATUS_BAD_LEN => Ok(CplStatus::BadLen),
            _ => Err(WireError::UnknownStatus(v)),
        }
    }
}

/// A completion (device -> driver).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    len: Le32,
    tag: Le32,
    desc_idx: Le16,
    status: u8,
    flags: u8,
    ts: Le32,
}

const _: () = {
    assert!(size_of::<Completion>() == cpl_layout::SIZE);
    assert!(offset_of!(Completion, len) == cpl_layout::LEN);
    assert!(offset_of!(Completion, tag) == cpl_layout::TAG);
    assert!(offset_of!(Completion, desc_idx) == cpl_layout::DESC_IDX);
    assert!(size_of::<Le16>() == cpl_layout::DESC_IDX_BYTES);
    assert!(offset_of!(Completion, status) == cpl_layout::STATUS);
    assert!(offset_of!(Completion, flags) == cpl_layout::FLAGS);
    assert!(offset_of!(Completion, ts) == cpl_layout::TS);
};

impl Completion {
    pub const SIZE: usize = cpl_layout::SIZE;

    pub const fn new(
        len: u32,
        tag: u32,
        desc_idx: u16,
        status: CplStatus,
        phase: bool,
        ts: u32,
    ) -> Self {
        Self {
            len: Le32::new(len),
            tag: Le32::new(tag),
            desc_idx: Le16::new(desc_idx),
            status: status.to_raw(),
            flags: if phase { CPL_FLAG_PHASE as u8 } else { 0 },
            ts: Le32::new(ts),
        }
    }
    pub const fn len(&self) -> u32 {
        self.len.get()
    }
    pub const fn is_empty(&self) -> bool {
        self.len.get() == 0
    }
    pub const fn tag(&self) -> u32 {
        self.tag.get()
    }
    pub const fn desc_idx(&self) -> u16 {
        self.desc_idx.get()
    }
    pub fn status(&self) -> CplStatus {
        CplStatus::from_raw(self.status).expect("checked at parse")
    }
    pub const fn phase(&self) -> bool {
        self.flags & (CPL_FLAG_PHASE as u8) != 0
    }
    pub const fn ts(&self) -> u32 {
        self.ts.get()
    }

    /// The phase bit the device writes for completion number `idx`
    /// (free-running) in a ring of `size` entries: 1 on the first pass.
    pub const fn expected_phase(idx: u16, size: u16) -> bool {
        (idx as u32 / size as u32) & 1 == 0
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[cpl_layout::LEN..cpl_layout::LEN + 4].copy_from_slice(&self.len.0);
        b[cpl_layout::TAG..cpl_layout::TAG + 4].copy_from_slice(&self.tag.0);
        b[cpl_layout::DESC_IDX..cpl_layout::DESC_IDX + 2].copy_from_slice(&self.desc_idx.0);
        b[cpl_layout::STATUS] = self.status;
        b[cpl_layout::FLAGS] = self.flags;
        b[cpl_layout::TS..cpl_layout::TS + 4].copy_from_slice(&self.ts.0);
        b
    }

    /// Parses the first 16 bytes of `b`, rejecting unknown status codes and
    /// reserved flag bits.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        let b: &[u8; Self::SIZE] =
            b.get(..Self::SIZE)
                .and_then(|s| s.try_into().ok())
                .ok_or(WireError::Truncated {
                    what: "completion",
                    need: Self::SIZE,
                    got: b.len(),
                })?;
        let status = b[cpl_layout::STATUS];
        CplStatus::from_raw(status)?;
        let flags = b[cpl_layout::FLAGS];
        if flags & !(CPL_FLAG_PHASE as u8) != 0 {
            return Err(WireError::ReservedFlags(flags));
        }
        Ok(Self {
            len: Le32(field(b, cpl_layout::LEN)),
            tag: Le32(field(b, cpl_layout::TAG)),
            desc_idx: Le16(field(b, cpl_layout::DESC_IDX)),
            status,
            flags,
            ts: Le32(field(b, cpl_layout::TS)),
        })
    }
}

fn field<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[off..off + N]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_roundtrip_is_little_endian() {
        let d = Descriptor::new(0x1122_3344_5566_7788, 0x99aa_bbcc, 0xdead_beef);
        let b = d.to_bytes();
        assert_eq!(&b[0..8], &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
        assert_eq!(&b[8..12], &[0xcc, 0xbb, 0xaa, 0x99]);
        assert_eq!(&b[12..16], &[0xef, 0xbe, 0xad, 0xde]);
        assert_eq!(Descriptor::parse(&b).unwrap(), d);
    }

    #[test]
    fn completion_roundtrip_and_checks() {
        let c = Completion::new(1514, 7, 0xfffe, CplStatus::Ok, true, 123);
        let b = c.to_bytes();
        assert_eq!(b[11], 1);
        assert_eq!(&b[8..10], &[0xfe, 0xff]);
        let p = Completion::parse(&b).unwrap();
        assert_eq!(p, c);
        assert!(p.phase());
        assert_eq!(p.desc_idx(), 0xfffe);

        let mut bad = b;
        bad[10] = 9;
        assert_eq!(Completion::parse(&bad), Err(WireError::UnknownStatus(9)));
        let mut bad = b;
        bad[11] = 0x81;
        assert_eq!(Completion::parse(&bad), Err(WireError::ReservedFlags(0x81)));
        assert!(matches!(
            Completion::parse(&b[..15]),
            Err(WireError::Truncated {
                need: 16,
                got: 15,
                ..
            })
        ));
    }

    #[test]
    fn expected_phase_flips_every_wrap() {
        assert!(Completion::expected_phase(0, 4));
        assert!(Completion::expected_phase(3, 4));
        assert!(!Completion::expected_phase(4, 4));
        assert!(Completion::expected_phase(8, 4));
        // 16-bit free-running index wraps at a multiple of every ring size.
        assert!(!Completion::expected_phase(u16::MAX, 4096));
        assert!(Completion::expected_phase(0, 4096));
    }
}
