//! Address newtypes, in the style of rust-vmm's `vm-memory`.
//!
//! [`HostAddr`] is a CPU-side (kernel virtual) address of simulated host
//! memory; [`DmaAddr`] is a bus address as seen by one device through its
//! IOMMU-like domain. They are distinct types: adding one to the other, or
//! passing one where the other is expected, does not compile.
//!
//! ```compile_fail
//! use pool::addr::{DmaAddr, HostAddr};
//! fn takes_dma(_: DmaAddr) {}
//! takes_dma(HostAddr::new(0x1000)); // a host address is not a DMA address
//! ```

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! addr_type {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(u64);

        impl $name {
            #[doc = concat!("A ", $what, " address with the given raw value.")]
            #[inline]
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw numeric value.
            #[inline]
            pub const fn raw_value(self) -> u64 {
                self.0
            }

            /// `self + offset`, or `None` on overflow.
            #[inline]
            pub const fn checked_add(self, offset: u64) -> Option<Self> {
                match self.0.checked_add(offset) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// `self - offset`, or `None` on underflow.
            #[inline]
            pub const fn checked_sub(self, offset: u64) -> Option<Self> {
                match self.0.checked_sub(offset) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// `self - base`, or `None` if `base` lies above `self`.
            #[inline]
            pub const fn offset_from(self, base: Self) -> Option<u64> {
                self.0.checked_sub(base.0)
            }

            /// Whether the address is a multiple of `align` (a power of two).
            #[inline]
            pub const fn is_aligned(self, align: u64) -> bool {
                self.0 & (align - 1) == 0
            }

            /// The address rounded down to a multiple of `align` (a power of two).
            #[inline]
            pub const fn align_down(self, align: u64) -> Self {
                Self(self.0 & !(align - 1))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }

        /// Serialized as a `0x…` hex string, so snapshots read like kernel logs.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

addr_type!(
    /// A CPU-side address of simulated host memory (the kernel's `void *` /
    /// `page_address()`).
    HostAddr,
    "host"
);
addr_type!(
    /// A device-side bus address (`dma_addr_t`), valid only for the device
    /// whose domain produced it.
    DmaAddr,
    "DMA"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_arithmetic() {
        let a = HostAddr::new(0x1000);
        assert_eq!(a.checked_add(0x10), Some(HostAddr::new(0x1010)));
        assert_eq!(HostAddr::new(u64::MAX).checked_add(1), None);
        assert_eq!(a.checked_sub(0x1001), None);
        assert_eq!(HostAddr::new(0x1010).offset_from(a), Some(0x10));
        assert_eq!(a.offset_from(HostAddr::new(0x1010)), None);
        assert!(DmaAddr::new(0x2040).is_aligned(64));
        assert!(!DmaAddr::new(0x2041).is_aligned(64));
        assert_eq!(DmaAddr::new(0x2041).align_down(64), DmaAddr::new(0x2040));
    }

    #[test]
    fn display_is_hex() {
        assert_eq!(DmaAddr::new(0xdead_b000).to_string(), "0xdeadb000");
        assert_eq!(format!("{:?}", HostAddr::new(0x10)), "HostAddr(0x10)");
        assert_eq!(
            serde_json::to_string(&DmaAddr::new(0x40)).unwrap(),
            "\"0x40\""
        );
    }
}
