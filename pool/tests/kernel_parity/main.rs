//! Parity with Linux 6.12 LTS (CONFIG_PAGE_POOL_STATS, CONFIG_DMA_API_DEBUG),
//! one module per kernel function. Each test names the kernel function it
//! follows and the 6.12 behaviour in its doc comment; the tests were written
//! from reading the kernel source, not from the pool's code. pool/PARITY.md
//! is the table of functions, Rust items and status.

mod arch_sync_dma_for_cpu;
mod arch_sync_dma_for_device;
#[path = "../common/mod.rs"]
mod common;
mod dma_get_cache_alignment;
