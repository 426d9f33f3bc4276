//! Page geometry and the unit of cache-line tracking, shared by every layer.
//! The cache line itself and the fragment alignment belong to the platform
//! ([`crate::Platform`]).

/// Bytes per page frame.
pub const PAGE_SIZE: usize = 4096;
/// `log2(PAGE_SIZE)`.
pub const PAGE_SHIFT: u32 = 12;
/// The unit of host memory's per-line state (dirty, device-owned): the
/// smallest cache line of any platform. A platform with 128-byte lines
/// keeps each of its lines as a pair of these, always moved together
/// ([`crate::CacheLine::granules`]).
pub const LINE_GRANULE: usize = 64;
