//! Page and cache-line geometry shared by every layer.

/// Bytes per page frame.
pub const PAGE_SIZE: usize = 4096;
/// `log2(PAGE_SIZE)`.
pub const PAGE_SHIFT: u32 = 12;
/// DMA cache alignment: the cache line size, the unit of ownership tracking
/// and of fragment rounding.
pub const DMA_CACHE_ALIGN: usize = 64;
