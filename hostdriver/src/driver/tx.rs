//! TX: `xmit` copies into a TX pool page, descriptors go on the ring or the
//! backlog, one doorbell per batch, and TX completions give the pages back
//! to their own pools (XDP frames through their memory model,
//! `xdp_return_frame_bulk`).

use nic_hw::regs;
use nic_hw::wire::{CplStatus, Descriptor};
use pool::{DmaDirection, PpPage};

use super::mmio::wr;
use super::rings::{TxBuf, TxKind};
use super::Driver;
use crate::error::{DriverError, TxError};
use crate::xdp_mem::XdpFrameBulk;
use crate::NicDevice;

impl<D: NicDevice> Driver<D> {
    /// Posts `tb` on the ring, or parks it in the backlog (keeping order);
    /// hands it back when both are full.
    pub(super) fn tx_enqueue(&mut self, tb: TxBuf) -> Result<Option<TxBuf>, DriverError> {
        let cap = self.cfg.tx_backlog;
        let o = self.open.as_mut().expect("open");
        if o.tx_backlog.is_empty() && !o.tx_ring_full() {
            self.tx_post(tb)?;
            return Ok(None);
        }
        if o.tx_backlog.len() < cap {
            o.tx_backlog.push_back(tb);
            self.stats.tx_backlogged += 1;
            if !o.tx_stopped {
                o.tx_stopped = true;
                self.stats.tx_queue_stopped += 1;
            }
            return Ok(None);
        }
        Ok(Some(tb))
    }

    /// Writes the descriptor for `tb` at the producer index and keeps `tb`
    /// in the slot; the doorbell waits for [`Self::flush_tx_doorbell`].
    fn tx_post(&mut self, tb: TxBuf) -> Result<(), DriverError> {
        let o = self.open.as_mut().expect("open");
        debug_assert!(!o.tx_ring_full());
        let idx = o.tx_prod;
        let desc = Descriptor::new(tb.dma.raw_value(), tb.len, u32::from(idx));
        self.mem
            .cpu_write(o.tx_ring.entry(idx), &desc.to_bytes())
            .map_err(DriverError::mem("writing a TX descriptor"))?;
        let slot = usize::from(idx & (o.tx_ring.size - 1));
        o.tx_slots[slot] = Some(tb);
        o.tx_prod = idx.wrapping_add(1);
        o.tx_doorbell_pending = true;
        Ok(())
    }

    /// Rings the TX doorbell (TX_PROD) once for everything posted since the
    /// last flush.
    pub(super) fn flush_tx_doorbell(&mut self) -> Result<(), DriverError> {
        let o = self.open.as_mut().expect("open");
        if o.tx_doorbell_pending {
            o.tx_doorbell_pending = false;
            let prod = o.tx_prod;
            self.stats.tx_doorbells += 1;
            // The frames and descriptors before the (relaxed) doorbell.
            self.mem.wmb();
            wr(&mut self.dev, regs::TX_PROD, u32::from(prod))?;
        }
        Ok(())
    }
    /// TX completions: redirected frames from other devices are unmapped
    /// from this device, then every page goes back to its own pool: XDP
    /// frames (XDP_TX, redirects) with `xdp_return_frame_bulk` and a final
    /// `xdp_flush_frame_bulk` (one `page_pool_put_page_bulk` per run of up
    /// to 16 frames of one mem id, as the kernel's XDP drivers' TX clean),
    /// `xmit` copies with one `page_pool_put_page_bulk` of the TX pool;
    /// then the backlog moves onto the freed slots. `in_napi`: called from
    /// this queue's NAPI poll, so the bulk puts run in the pools' own NAPI
    /// context (`page_pool_napi_local`); at close they do not.
    pub(super) fn tx_clean(&mut self, in_napi: bool) -> Result<usize, DriverError> {
        let mut done: Vec<TxBuf> = Vec::new();
        let mut unmap_err = None;
        while let Some(c) = self.peek_cpl(true)? {
            let o = self.open.as_mut().expect("open");
            let idx = o.tx_cq_cons;
            o.tx_cq_cons = idx.wrapping_add(1);
            let slot = usize::from(idx & (o.tx_ring.size - 1));
            let Some(tb) = o.tx_slots[slot].take() else {
                return Err(DriverError::EmptySlot {
                    ring: "TX",
                    idx,
                    slot,
                });
            };
            match c.status() {
                CplStatus::Ok => {
                    self.stats.tx_packets += 1;
                    self.stats.tx_bytes += u64::from(tb.len);
                }
                CplStatus::BadLen => {
                    self.stats.tx_bad_desc += 1;
                    tracing::warn!(cycle = self.dev.cycle(), dev = %self.cfg.name, idx, len = tb.len, kind = ?tb.kind, "TX completion BAD_LEN: frame not sent");
                }
            }
            if let Err(e) = Self::tx_unmap(&self.dma, &tb) {
                tracing::error!(cycle = self.dev.cycle(), dev = %self.cfg.name, idx, "unmapping a redirected frame: {e}");
                unmap_err.get_or_insert(e);
            }
            done.push(tb);
        }
        let n = done.len();
        self.tx_return_pages(done, in_napi);
        if let Some(e) = unmap_err {
            return Err(DriverError::Dma {
                what: "dma_unmap_page of a redirected frame",
                source: e,
            });
        }
        self.tx_backlog_to_ring()?;
        Ok(n)
    }

    /// The pages of completed TX buffers back to their pools (see
    /// [`Self::tx_clean`]).
    fn tx_return_pages(&mut self, done: Vec<TxBuf>, in_napi: bool) {
        if done.is_empty() {
            return;
        }
        let napi_id = self.cfg.napi_id;
        let o = self.open.as_mut().expect("open");
        let mut bq = XdpFrameBulk::new(self.xdp_mem_log.clone());
        let mut xmit_pages: Vec<Option<PpPage>> = Vec::new();
        for tb in done {
            match tb.xdp_mem {
                Some(mem) => {
                    let mut ctx = in_napi.then(|| o.rx_pool.napi_ctx(napi_id));
                    bq.return_page(tb.page, tb.pool, mem, ctx.as_mut());
                }
                None => xmit_pages.push(Some(tb.page)),
            }
        }
        let mut ctx = in_napi.then(|| o.rx_pool.napi_ctx(napi_id));
        bq.xdp_flush_frame_bulk(ctx.as_mut());
        if xmit_pages.is_empty() {
            return;
        }
        if in_napi {
            o.tx_pool.napi_ctx(napi_id).put_page_bulk(&mut xmit_pages);
        } else {
            o.tx_pool_h.put_page_bulk(&mut xmit_pages);
        }
    }

    /// The backlog onto the ring's free slots, one doorbell.
    fn tx_backlog_to_ring(&mut self) -> Result<(), DriverError> {
        loop {
            let o = self.open.as_mut().expect("open");
            if o.tx_ring_full() {
                break;
            }
            let Some(tb) = o.tx_backlog.pop_front() else {
                break;
            };
            self.tx_post(tb)?;
        }
        let o = self.open.as_mut().expect("open");
        if o.tx_stopped && o.tx_backlog.is_empty() && !o.tx_ring_full() {
            o.tx_stopped = false;
            self.stats.tx_queue_woken += 1;
        }
        self.flush_tx_doorbell()
    }

    /// Transmits a caller's frame: copied into a TX pool page, synced for
    /// the device, posted, doorbell. When the ring is full the frame is
    /// refused with [`TxError::Busy`] (queue stopped): retry after polls.
    pub fn xmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        let max = self.cfg.max_frame_len;
        if frame.is_empty() || frame.len() > max as usize {
            return Err(TxError::BadLength {
                len: frame.len(),
                max,
            });
        }
        let o = self
            .open
            .as_mut()
            .ok_or(DriverError::NotOpen { op: "xmit" })?;
        if o.tx_ring_full() || !o.tx_backlog.is_empty() {
            self.stats.tx_busy += 1;
            if !o.tx_stopped {
                o.tx_stopped = true;
                self.stats.tx_queue_stopped += 1;
            }
            return Err(TxError::Busy {
                in_flight: o.tx_in_flight(),
                size: o.tx_ring.size,
            });
        }
        let page = match o.tx_pool.dev_alloc_pages() {
            Ok(p) => p,
            Err(e) => {
                self.stats.tx_alloc_failures += 1;
                return Err(TxError::NoMem(e));
            }
        };
        let tb = self.fill_tx_page(page, frame, TxKind::Xmit)?;
        self.tx_post(tb)?;
        self.flush_tx_doorbell()?;
        self.stats.tx_xmit += 1;
        Ok(())
    }

    /// Copies `frame` into a TX pool page and syncs it for the device.
    fn fill_tx_page(
        &mut self,
        page: PpPage,
        frame: &[u8],
        kind: TxKind,
    ) -> Result<TxBuf, DriverError> {
        let o = self.open.as_mut().expect("open");
        let dma = page.dma_addr().expect("DMA_MAP pool");
        let r = self
            .mem
            .cpu_write(page.host_addr(), frame)
            .map_err(DriverError::mem("copying a TX frame"))
            .and_then(|()| {
                if self.cfg.test.skip_tx_sync_for_device {
                    return Ok(());
                }
                self.dma
                    .sync_single_range_for_device(dma, 0, frame.len(), DmaDirection::Bidirectional)
                    .map_err(DriverError::dma("sync_for_device of a TX frame"))
            });
        if let Err(e) = r {
            o.tx_pool.put_full_page(page, false);
            return Err(e);
        }
        Ok(TxBuf {
            page,
            pool: o.tx_pool_h.clone(),
            dma,
            len: frame.len() as u32,
            kind,
            mapped_here: None,
            xdp_mem: None,
        })
    }
}
