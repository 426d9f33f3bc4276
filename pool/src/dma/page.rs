//! What the DMA API needs of a page to map it: the [`DmaPage`] trait, for
//! the allocator's [`Page`] here and for the page types of the layers above
//! (a page pool's pages implement it where they are defined).

use crate::addr::HostAddr;
use crate::mem::{pfn_to_host, Page};

/// A page `dma_map_page` can map: where its head frame is and how many
/// frames it spans.
pub trait DmaPage {
    /// Page frame number of the head frame.
    fn pfn(&self) -> u64;
    /// Allocation order: the page spans `2^order` frames.
    fn order(&self) -> u32;
    /// Host address of the first byte.
    fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn())
    }
}

impl DmaPage for Page {
    #[inline]
    fn pfn(&self) -> u64 {
        Page::pfn(self)
    }
    #[inline]
    fn order(&self) -> u32 {
        Page::order(self)
    }
}
