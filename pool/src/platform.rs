//! The platform the host memory simulates: its cache line, the DMA
//! alignment the kernel reports for it (`dma_get_cache_alignment()`) and
//! whether its DMA is coherent, as one choice.
//!
//! | platform | cache line | `dma_get_cache_alignment()` | DMA |
//! |---|---|---|---|
//! | `x86-64` | 64 (`L1_CACHE_BYTES`) | 1 (no `ARCH_DMA_MINALIGN`) | coherent |
//! | `arm64-64` | 64 (`CTR_EL0.DminLine` of most cores) | 128 (`ARCH_DMA_MINALIGN`) | non-coherent |
//! | `arm64-128` | 128 | 128 (`ARCH_DMA_MINALIGN`) | non-coherent |
//!
//! Linux 6.12 `include/linux/dma-mapping.h`:
//! `dma_get_cache_alignment()` returns `ARCH_DMA_MINALIGN` when the
//! architecture defines it (`ARCH_HAS_DMA_MINALIGN`, set by
//! `include/linux/cache.h`) and 1 otherwise. x86 defines no
//! `ARCH_DMA_MINALIGN` (`arch/x86/include/asm/cache.h`), so the answer is 1
//! (a CONFIG_DMA_API_DEBUG variant returning `cache_line_size()` was
//! proposed in 2023 and not merged). arm64 defines `ARCH_DMA_MINALIGN` as
//! 128, the largest line of any ARMv8 core (`arch/arm64/include/asm/cache.h`),
//! whatever the line of the core it runs on: so both arm64 platforms round
//! page pool fragments to 128 (`page_pool_alloc_frag_netmem`: `size =
//! ALIGN(size, dma_get_cache_alignment())`), and they differ in the line
//! the cache maintenance works on (`dcache_clean_poc` / `dcache_inval_poc`
//! step by `CTR_EL0.DminLine`), which the names say.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::layout::LINE_GRANULE;

/// Whether CPU and devices share one copy of memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Coherence {
    /// Devices snoop the CPU caches: one copy; syncs are still recorded,
    /// checked, and move line ownership.
    #[default]
    Coherent,
    /// CPU and device each see their own copy per cache line until a DMA sync
    /// moves it (write-back on sync_for_device, invalidate on sync_for_cpu).
    NonCoherent,
}

/// The simulated platform (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Platform {
    /// x86-64: coherent DMA, 64-byte lines, no fragment rounding.
    #[default]
    X86_64,
    /// arm64 with 64-byte cache lines (Cortex-A53/A72 and most cores),
    /// non-coherent DMA, fragments rounded to `ARCH_DMA_MINALIGN` = 128.
    Arm64Line64,
    /// arm64 with 128-byte cache lines, non-coherent DMA.
    Arm64Line128,
}

/// A platform name that is none of [`Platform::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform `{given}`: expected x86-64, arm64-64 or arm64-128")]
pub struct UnknownPlatform {
    /// What was given.
    pub given: String,
}

impl Platform {
    /// Every platform, in the order of the documentation.
    pub const ALL: [Platform; 3] = [
        Platform::X86_64,
        Platform::Arm64Line64,
        Platform::Arm64Line128,
    ];

    /// The name scenarios and the command line use: `x86-64`, `arm64-64`,
    /// `arm64-128` (the arm64 number is the cache line).
    pub fn name(self) -> &'static str {
        match self {
            Platform::X86_64 => "x86-64",
            Platform::Arm64Line64 => "arm64-64",
            Platform::Arm64Line128 => "arm64-128",
        }
    }

    /// The cache line the cache maintenance of a DMA sync works on.
    #[inline]
    pub fn cache_line(self) -> CacheLine {
        match self {
            Platform::X86_64 | Platform::Arm64Line64 => CacheLine::B64,
            Platform::Arm64Line128 => CacheLine::B128,
        }
    }

    /// `dma_get_cache_alignment()`: `ARCH_DMA_MINALIGN` (arm64: 128) or 1
    /// (x86-64, which has none). Page pool fragments are rounded up to it.
    #[inline]
    pub fn dma_get_cache_alignment(self) -> u32 {
        match self {
            Platform::X86_64 => 1,
            Platform::Arm64Line64 | Platform::Arm64Line128 => 128,
        }
    }

    /// The platform in a few words, for reports: `x86-64 (coherent DMA,
    /// 64-byte lines, fragment alignment 1)`.
    pub fn summary(self) -> String {
        let dma = match self.coherence() {
            Coherence::Coherent => "coherent",
            Coherence::NonCoherent => "non-coherent",
        };
        format!(
            "{} ({dma} DMA, {}-byte lines, fragment alignment {})",
            self.name(),
            self.cache_line().bytes(),
            self.dma_get_cache_alignment()
        )
    }

    /// Whether devices see the CPU's caches.
    #[inline]
    pub fn coherence(self) -> Coherence {
        match self {
            Platform::X86_64 => Coherence::Coherent,
            Platform::Arm64Line64 | Platform::Arm64Line128 => Coherence::NonCoherent,
        }
    }
}

/// The platform an older configuration that only said its coherence
/// meant: coherent is x86-64; non-coherent is arm64 with the 64-byte
/// lines the model always had.
impl From<Coherence> for Platform {
    fn from(c: Coherence) -> Self {
        match c {
            Coherence::Coherent => Platform::X86_64,
            Coherence::NonCoherent => Platform::Arm64Line64,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = UnknownPlatform;
    fn from_str(s: &str) -> Result<Self, UnknownPlatform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPlatform {
                given: s.to_string(),
            })
    }
}

impl Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A cache line of 64 or 128 bytes. Host memory tracks lines in units of
/// [`LINE_GRANULE`] (64) bytes; a 128-byte line is a pair of them, always
/// set, cleaned, written back and invalidated together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheLine {
    /// 64 bytes.
    B64,
    /// 128 bytes.
    B128,
}

impl CacheLine {
    /// Bytes per line.
    #[inline]
    pub fn bytes(self) -> usize {
        match self {
            CacheLine::B64 => 64,
            CacheLine::B128 => 128,
        }
    }

    /// The first byte of the line holding byte `off`.
    #[inline]
    pub fn line_start(self, off: usize) -> usize {
        off & !(self.bytes() - 1)
    }

    /// Whether `off` is the first byte of a line.
    #[inline]
    pub fn is_aligned(self, off: usize) -> bool {
        off & (self.bytes() - 1) == 0
    }

    /// The tracking granules of the whole lines that `bytes` touches (none
    /// for an empty range).
    #[inline]
    pub fn granules(self, bytes: Range<usize>) -> Range<usize> {
        if bytes.is_empty() {
            return 0..0;
        }
        let mask = self.bytes() - 1;
        let start = bytes.start & !mask;
        let end = (bytes.end + mask) & !mask;
        start / LINE_GRANULE..end / LINE_GRANULE
    }

    /// The tracking granules of the line holding byte `off`.
    #[inline]
    pub fn granules_of_line(self, off: usize) -> Range<usize> {
        self.granules(off..off + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_a_bad_name_lists_the_choices() {
        for p in Platform::ALL {
            assert_eq!(p.name().parse::<Platform>(), Ok(p));
        }
        assert_eq!(
            Platform::Arm64Line64.summary(),
            "arm64-64 (non-coherent DMA, 64-byte lines, fragment alignment 128)"
        );
        let e = "arm64".parse::<Platform>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown platform `arm64`: expected x86-64, arm64-64 or arm64-128"
        );
    }

    #[test]
    fn granules_cover_whole_lines() {
        assert_eq!(CacheLine::B64.granules(0..0), 0..0);
        assert_eq!(CacheLine::B64.granules(10..70), 0..2);
        assert_eq!(CacheLine::B128.granules(64..65), 0..2);
        assert_eq!(CacheLine::B128.granules(127..129), 0..4);
        assert_eq!(CacheLine::B128.granules(128..256), 2..4);
        assert_eq!(CacheLine::B128.granules_of_line(200), 2..4);
        assert_eq!(CacheLine::B128.line_start(200), 128);
        assert!(CacheLine::B64.is_aligned(192) && !CacheLine::B128.is_aligned(192));
    }
}
