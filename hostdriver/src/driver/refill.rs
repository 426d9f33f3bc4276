//! RX refill: a buffer from the RX pool (a page or a fragment) in every
//! free slot, synced for the device unless the pool does it, one doorbell.

use nic_hw::regs;
use nic_hw::wire::Descriptor;
use pool::PagePool;

use super::mmio::wr;
use super::rings::{dma_add, RxBuf};
use super::Driver;
use crate::config::{DriverConfig, RxMode};
use crate::error::DriverError;
use crate::NicDevice;

impl<D: NicDevice> Driver<D> {
    /// One RX buffer from the pool: a whole page, or a fragment of the
    /// configured request size; its `buf_len` is what the descriptor
    /// posts (`rx_buf_len`, at most the space after the headroom).
    fn alloc_rx_buf(
        cfg: &DriverConfig,
        pool: &mut PagePool,
    ) -> Result<RxBuf, pool::PoolAllocError> {
        match cfg.rx_mode {
            RxMode::Page => Ok(RxBuf {
                page: pool.dev_alloc_pages()?,
                page_off: 0,
                buf_len: cfg.rx_desc_len(cfg.page_buf_len()),
                truesize: cfg.rx_page_bytes(),
            }),
            RxMode::Frag => {
                let mut off = 0;
                let mut size = cfg.frag_request();
                let page = pool.dev_alloc(&mut off, &mut size)?;
                Ok(RxBuf {
                    page,
                    page_off: off,
                    buf_len: cfg.rx_desc_len(size - cfg.headroom - cfg.tailroom),
                    truesize: size,
                })
            }
        }
    }

    /// Posts a buffer in every free slot (stops at the first allocation
    /// failure, leaving the rest empty for the next poll) and rings the RX
    /// doorbell once.
    pub(super) fn refill(&mut self) -> Result<u16, DriverError> {
        let cfg = &self.cfg;
        let o = self.open.as_mut().expect("open");
        let size = o.rx_ring.size;
        let mut posted: u16 = 0;
        while o.rx_posted() < size {
            let buf = match Self::alloc_rx_buf(cfg, &mut o.rx_pool) {
                Ok(b) => b,
                Err(e) => {
                    self.stats.rx_refill_failures += 1;
                    tracing::debug!(
                        cycle = self.dev.cycle(),
                        dev = %cfg.name,
                        posted = o.rx_posted(),
                        "refill: {e}; slot left empty, retried next poll"
                    );
                    break;
                }
            };
            let page_dma = buf.page.dma_addr().expect("DMA_MAP pool");
            if !cfg.pool_sync_dev && !cfg.test.skip_refill_sync_for_device {
                if let Err(e) = self.dma.sync_single_range_for_device(
                    page_dma,
                    (buf.page_off + cfg.headroom) as usize,
                    buf.buf_len as usize,
                    o.dma_dir,
                ) {
                    o.rx_pool.put_full_page(buf.page, false);
                    return Err(DriverError::Dma {
                        what: "sync_for_device of an RX buffer",
                        source: e,
                    });
                }
            }
            let idx = o.rx_prod;
            let desc = Descriptor::new(
                dma_add(page_dma, buf.page_off).raw_value(),
                buf.buf_len,
                u32::from(idx),
            );
            self.mem
                .cpu_write(o.rx_ring.entry(idx), &desc.to_bytes())
                .map_err(DriverError::mem("writing an RX descriptor"))?;
            o.rx_slots[usize::from(idx & (size - 1))] = Some(buf);
            o.rx_prod = idx.wrapping_add(1);
            posted += 1;
        }
        if posted > 0 {
            let prod = o.rx_prod;
            self.stats.rx_buffers_posted += u64::from(posted);
            self.stats.rx_doorbells += 1;
            // The descriptors before the (relaxed) doorbell.
            self.mem.wmb();
            wr(&mut self.dev, regs::RX_PROD, u32::from(prod))?;
        }
        Ok(posted)
    }

    /// Arms failure injection on the RX pool's allocations (refill), to
    /// exercise refill failure handling.
    pub fn inject_rx_alloc_failures(
        &mut self,
        mode: pool::FailureInjection,
    ) -> Result<(), DriverError> {
        let o = self.open.as_mut().ok_or(DriverError::NotOpen {
            op: "inject_rx_alloc_failures",
        })?;
        o.rx_pool.inject_alloc_failures(mode);
        Ok(())
    }
}
