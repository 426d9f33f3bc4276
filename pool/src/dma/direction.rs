//! The direction of a mapping, the attributes of a map/unmap call, and the
//! side of a device access.

use std::fmt;

use serde::Serialize;

/// The kernel's `enum dma_data_direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DmaDirection {
    /// `DMA_BIDIRECTIONAL`: the device may read and write.
    Bidirectional,
    /// `DMA_TO_DEVICE`: the device only reads.
    ToDevice,
    /// `DMA_FROM_DEVICE`: the device only writes.
    FromDevice,
}

impl DmaDirection {
    /// Whether a device may read a buffer mapped this way.
    #[inline]
    pub fn device_may_read(self) -> bool {
        !matches!(self, DmaDirection::FromDevice)
    }
    /// Whether a device may write a buffer mapped this way.
    #[inline]
    pub fn device_may_write(self) -> bool {
        !matches!(self, DmaDirection::ToDevice)
    }
    fn kernel_name(self) -> &'static str {
        match self {
            DmaDirection::Bidirectional => "DMA_BIDIRECTIONAL",
            DmaDirection::ToDevice => "DMA_TO_DEVICE",
            DmaDirection::FromDevice => "DMA_FROM_DEVICE",
        }
    }
}

impl fmt::Display for DmaDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kernel_name())
    }
}

/// `DMA_ATTR_*` flags that change behaviour here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaAttrs {
    /// `DMA_ATTR_SKIP_CPU_SYNC`: map/unmap without the implied sync (the page
    /// pool maps this way and syncs explicitly).
    pub skip_cpu_sync: bool,
}

/// Which side of the bus a device access is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Access {
    /// Device reads memory (AXI AR/R).
    Read,
    /// Device writes memory (AXI AW/W).
    Write,
}
