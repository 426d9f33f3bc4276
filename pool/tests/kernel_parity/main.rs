//! Parity with Linux 6.12 LTS (CONFIG_PAGE_POOL_STATS, CONFIG_DMA_API_DEBUG),
//! one module per kernel function. Each test names the kernel function it
//! follows and the 6.12 behaviour in its doc comment; the tests were written
//! from reading the kernel source, not from the pool's code. pool/PARITY.md
//! is the table of functions, Rust items and status.

#[path = "../common/mod.rs"]
mod common;

#[allow(non_snake_case)]
mod __page_pool_page_can_be_recycled;
mod active_cacheline_insert;
mod arch_sync_dma_for_cpu;
mod arch_sync_dma_for_device;
mod dma_get_cache_alignment;
mod netdev_nl_page_pool_event;
mod netdev_nl_page_pool_get_doit;
mod netdev_nl_page_pool_get_dumpit;
mod page_pool_alloc_frag_netmem;
mod page_pool_init;
mod page_pool_netdevice_event;
mod page_pool_nl_fill;
mod page_pool_nl_stats_fill;
mod page_pool_put_page_bulk;
mod page_pool_release_retry;
mod page_pool_scrub;
mod ptr_ring_produce;
