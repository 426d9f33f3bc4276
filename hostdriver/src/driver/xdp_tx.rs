//! The TX side of XDP: XDP_TX (and a redirect to this device) sends from
//! the RX page; `ndo_xdp_xmit` queues frames redirected from other devices,
//! mapping them on this device when they come from another IOMMU domain.

use pool::{DmaAttrs, DmaDev, DmaDirection, DmaError, PpPage};

use super::rings::{dma_add, RxBuf, TxBuf, TxKind};
use super::Driver;
use crate::error::DriverError;
use crate::xdp::XdpFrame;
use crate::NicDevice;

/// Direction of the mapping `ndo_xdp_xmit` makes on this device for a frame
/// redirected from another device: the NIC only reads it
/// (`dma_map_page(.., DMA_TO_DEVICE)` as mlx5/i40e/ixgbe do).
const XDP_XMIT_MAP_DIR: DmaDirection = DmaDirection::ToDevice;
/// Alignment of that mapping. The NIC reads whole bus beats at aligned
/// addresses (docs/ARCHITECTURE.md, AXI rules), so it reads around a frame
/// up to the bus width; the mapping covers the frame rounded out to a cache
/// line (at least the bus width, never beyond the page), as an IOMMU's
/// page granularity would in the kernel.
const XDP_XMIT_MAP_ALIGN: u32 = 64;

impl<D: NicDevice> Driver<D> {
    /// XDP_TX (or a redirect to ourselves): the RX page goes on our TX ring
    /// as is, synced for the device over the frame.
    pub(super) fn rx_to_own_tx(
        &mut self,
        buf: RxBuf,
        data_off: u32,
        len: u32,
    ) -> Result<(), DriverError> {
        let o = self.open.as_mut().expect("open");
        let page_dma = buf.page.dma_addr().expect("DMA_MAP pool");
        if !self.cfg.test.skip_tx_sync_for_device {
            if let Err(e) = self.dma.sync_single_range_for_device(
                page_dma,
                data_off as usize,
                len as usize,
                o.dma_dir,
            ) {
                o.rx_pool
                    .napi_ctx(self.cfg.napi_id)
                    .recycle_direct(buf.page);
                return Err(DriverError::Dma {
                    what: "sync_for_device of an XDP_TX frame",
                    source: e,
                });
            }
        }
        let tb = TxBuf {
            page: buf.page,
            pool: o.rx_pool_h.clone(),
            dma: dma_add(page_dma, data_off),
            len,
            kind: TxKind::XdpTx,
            mapped_here: None,
            xdp_mem: Some(o.rxq.frame_mem()),
        };
        if let Some(tb) = self.tx_enqueue(tb)? {
            // Ring and backlog full: dropped, counted, page recycled.
            self.stats.rx_xdp_tx_errors += 1;
            let o = self.open.as_mut().expect("open");
            tracing::debug!(cycle = self.dev.cycle(), dev = %self.cfg.name, "XDP_TX: TX ring and backlog full, frame dropped");
            o.rx_pool.napi_ctx(self.cfg.napi_id).recycle_direct(tb.page);
        }
        Ok(())
    }

    /// `ndo_xdp_xmit`: queues redirected frames on this TX ring, zero copy.
    /// A frame from this device's IOMMU domain goes out through the mapping
    /// its pool made (synced for the device over the frame). A frame from
    /// another device is mapped on this device (`dma_map_page` of the pool
    /// page, `DMA_TO_DEVICE`, which implies the sync for the device); its
    /// TX completion unmaps it and returns the page to its own pool through
    /// that pool's handle (`xdp_return_frame`: the ring). Frames that find
    /// ring and backlog full, or whose mapping fails (`dma_mapping_error`),
    /// are handed back, counted in `tx_xdp_xmit_errors`, for the caller to
    /// retry or free.
    pub fn xdp_xmit(&mut self, frames: Vec<XdpFrame>) -> Result<Vec<XdpFrame>, DriverError> {
        if self.open.is_none() {
            return Err(DriverError::NotOpen { op: "xdp_xmit" });
        }
        let mut refused = Vec::new();
        for mut f in frames {
            let o = self.open.as_mut().expect("open");
            let room = usize::from(o.tx_ring.size - o.tx_in_flight()) + self.cfg.tx_backlog
                - o.tx_backlog.len();
            if room == 0 {
                self.stats.tx_xdp_xmit_errors += 1;
                refused.push(f);
                continue;
            }
            let page = f.take_page().expect("frame holds its page");
            let tb = if f.dev.same_device(&self.dma) {
                self.redirect_in_own_domain(&mut f, page)?
            } else {
                match self.map_redirected(&f, page) {
                    Ok(tb) => tb,
                    Err((page, e)) => {
                        tracing::warn!(
                            cycle = self.dev.cycle(),
                            dev = %self.cfg.name,
                            from = f.from.0,
                            "xdp_xmit: mapping a redirected frame failed, handed back: {e}"
                        );
                        f.page = Some(page);
                        self.stats.tx_xdp_xmit_errors += 1;
                        refused.push(f);
                        continue;
                    }
                }
            };
            if let Some(tb) = self.tx_enqueue(tb)? {
                // Cannot happen: room was checked above.
                if let Err(e) = Self::tx_unmap(&self.dma, &tb) {
                    tracing::error!(dev = %self.cfg.name, "unmapping a refused redirected frame: {e}");
                }
                tb.pool.put_full_page(tb.page, false);
                self.stats.tx_xdp_xmit_errors += 1;
                continue;
            }
            self.stats.tx_xdp_xmit += 1;
        }
        self.flush_tx_doorbell()?;
        Ok(refused)
    }

    /// A redirected frame from this device's IOMMU domain: sent through
    /// the mapping its pool made, synced for the device over the frame. On
    /// a sync failure the page goes back into the frame.
    fn redirect_in_own_domain(&self, f: &mut XdpFrame, page: PpPage) -> Result<TxBuf, DriverError> {
        let page_dma = page.dma_addr().expect("DMA_MAP pool");
        if !self.cfg.test.skip_tx_sync_for_device {
            if let Err(e) = self.dma.sync_single_range_for_device(
                page_dma,
                f.offset as usize,
                f.len as usize,
                DmaDirection::Bidirectional,
            ) {
                f.page = Some(page);
                return Err(DriverError::Dma {
                    what: "sync_for_device of a redirected frame",
                    source: e,
                });
            }
        }
        Ok(TxBuf {
            page,
            pool: f.pool.clone(),
            dma: dma_add(page_dma, f.offset),
            len: f.len,
            kind: TxKind::Redirect,
            mapped_here: None,
            xdp_mem: Some(f.xdp_mem),
        })
    }

    /// A redirected frame from another device: mapped on this device
    /// (`dma_map_page`, [`XDP_XMIT_MAP_DIR`]) over the frame rounded out to
    /// [`XDP_XMIT_MAP_ALIGN`]. A failed mapping hands the page back.
    fn map_redirected(&self, f: &XdpFrame, page: PpPage) -> Result<TxBuf, (PpPage, DmaError)> {
        // The test switch that breaks the TX sync also skips the
        // sync the mapping implies (DMA_ATTR_SKIP_CPU_SYNC).
        let attrs = DmaAttrs {
            skip_cpu_sync: self.cfg.test.skip_tx_sync_for_device,
        };
        let map_off = f.offset & !(XDP_XMIT_MAP_ALIGN - 1);
        let map_end = (f.offset + f.len)
            .next_multiple_of(XDP_XMIT_MAP_ALIGN)
            .min(page.len() as u32);
        let map_len = map_end - map_off;
        match self.dma.map_page_attrs(
            &page,
            map_off as usize,
            map_len as usize,
            XDP_XMIT_MAP_DIR,
            attrs,
        ) {
            Ok(handle) => Ok(TxBuf {
                page,
                pool: f.pool.clone(),
                dma: dma_add(handle, f.offset - map_off),
                len: f.len,
                kind: TxKind::Redirect,
                mapped_here: Some((handle, map_len)),
                xdp_mem: Some(f.xdp_mem),
            }),
            Err(e) => Err((page, e)),
        }
    }

    /// Undoes the mapping [`Self::xdp_xmit`] made on this device for a frame
    /// redirected from another device (`dma_unmap_page`), before its page
    /// goes back to its own pool. Nothing to do for other buffers.
    pub(super) fn tx_unmap(dma: &DmaDev, tb: &TxBuf) -> Result<(), DmaError> {
        let Some((handle, len)) = tb.mapped_here else {
            return Ok(());
        };
        dma.unmap_page(handle, len as usize, XDP_XMIT_MAP_DIR)
    }
}
