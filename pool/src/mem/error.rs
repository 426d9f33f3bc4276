//! Errors of the host memory model.

use thiserror::Error;

use crate::addr::HostAddr;

/// Errors of the host memory model.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MemError {
    /// The configuration cannot describe a machine.
    #[error("invalid memory configuration: {0}")]
    BadConfig(String),
    /// No node with that id.
    #[error("NUMA node {nid} does not exist (machine has {nodes} nodes)")]
    InvalidNode {
        /// Requested node.
        nid: u32,
        /// Nodes configured.
        nodes: u32,
    },
    /// Order above [`MAX_PAGE_ORDER`](crate::MAX_PAGE_ORDER).
    #[error("page order {order} above MAX_PAGE_ORDER {max}")]
    OrderTooHigh {
        /// Requested order.
        order: u32,
        /// The maximum.
        max: u32,
    },
    /// The node has no free naturally aligned block of that order.
    #[error("out of memory: no free order-{order} block on node {nid}")]
    OutOfMemory {
        /// Requested order.
        order: u32,
        /// Node.
        nid: u32,
    },
    /// Failure injection refused the allocation.
    #[error("injected allocation failure (order {order}, node {nid})")]
    Injected {
        /// Requested order.
        order: u32,
        /// Node.
        nid: u32,
    },
    /// The address is outside simulated memory.
    #[error("host address {addr} (+{len} bytes) is outside simulated memory")]
    OutOfRange {
        /// First byte.
        addr: HostAddr,
        /// Access length.
        len: usize,
    },
    /// The access touches a frame that is not allocated (use after free).
    #[error("access to free page frame at {addr} (use after free?) at cycle {cycle}")]
    NotAllocated {
        /// Frame address.
        addr: HostAddr,
        /// Cycle.
        cycle: u64,
    },
    /// Freeing something that is not the head of an allocation of that order.
    #[error("free_pages({addr}, order {order}): not an allocated order-{order} head page")]
    BadFree {
        /// Page address.
        addr: HostAddr,
        /// Order given.
        order: u32,
    },
    /// Freeing a page that still has live DMA mappings.
    #[error("free_pages({addr}): page still has {mappings} live DMA mapping(s)")]
    FreeMapped {
        /// Page address.
        addr: HostAddr,
        /// Live mappings.
        mappings: u32,
    },
}
