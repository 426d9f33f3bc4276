//! RX completion processing: the buffer of each completion is synced for the
//! CPU, the XDP program gives its verdict, and the verdict is carried out
//! (PASS to the stack, DROP/ABORTED recycled, TX and REDIRECT handed on).

use nic_hw::wire::Completion;

use super::rings::{host_add, RxBuf};
use super::Driver;
use crate::error::DriverError;
use crate::skb::SkBuff;
use crate::xdp::{RedirectTarget, XdpAction, XdpBuff, XdpFrame};
use crate::NicDevice;

impl<D: NicDevice> Driver<D> {
    /// Processes up to `budget` RX completions; returns how many.
    pub(super) fn rx_clean(&mut self, budget: usize) -> Result<usize, DriverError> {
        let mut done = 0;
        while done < budget {
            let Some(c) = self.peek_cpl(false)? else {
                break;
            };
            let o = self.open.as_mut().expect("open");
            let idx = o.rx_cq_cons;
            o.rx_cq_cons = idx.wrapping_add(1);
            done += 1;
            self.rx_one(idx, c)?;
        }
        Ok(done)
    }

    /// One RX completion: its buffer taken from the slot, the length
    /// checked, the received range synced for the CPU, then the verdict.
    fn rx_one(&mut self, idx: u16, c: Completion) -> Result<(), DriverError> {
        let cycle = self.dev.cycle();
        let cfg = &self.cfg;
        let o = self.open.as_mut().expect("open");
        let slot = usize::from(idx & (o.rx_ring.size - 1));
        let Some(buf) = o.rx_slots[slot].take() else {
            return Err(DriverError::EmptySlot {
                ring: "RX",
                idx,
                slot,
            });
        };
        let len = c.len();
        self.stats.rx_packets += 1;
        self.stats.rx_bytes += u64::from(len);
        if len == 0 || len > buf.buf_len {
            self.stats.rx_len_errors += 1;
            tracing::warn!(cycle, dev = %cfg.name, idx, len, buf_len = buf.buf_len, "RX completion length outside the buffer: dropped");
            o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
            return Ok(());
        }
        let page_dma = buf.page.dma_addr().expect("DMA_MAP pool");
        if !cfg.test.skip_rx_sync_for_cpu {
            // Exactly the received range: headroom + length.
            if let Err(e) = self.dma.sync_single_range_for_cpu(
                page_dma,
                buf.page_off as usize,
                (cfg.headroom + len) as usize,
                o.dma_dir,
            ) {
                o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
                return Err(DriverError::Dma {
                    what: "sync_for_cpu of an RX buffer",
                    source: e,
                });
            }
        }
        let frame = RxFrame {
            idx,
            data_off: buf.page_off + cfg.headroom,
            len,
            cycle,
        };
        let action = self.run_xdp(&buf, &frame)?;
        tracing::trace!(cycle, dev = %self.cfg.name, idx, len, ?action, "rx");
        self.carry_out(action, buf, &frame)
    }

    /// The XDP program's verdict on the frame (PASS without a program); a
    /// frame the program modified is written back into the page.
    fn run_xdp(&mut self, buf: &RxBuf, frame: &RxFrame) -> Result<XdpAction, DriverError> {
        let Some(prog) = self.xdp.as_mut() else {
            return Ok(XdpAction::Pass);
        };
        let data_addr = host_add(buf.page.host_addr(), frame.data_off);
        let mut data = vec![0u8; frame.len as usize];
        self.mem
            .cpu_read(data_addr, &mut data)
            .map_err(DriverError::mem("reading an RX frame for XDP"))?;
        let mut xb = XdpBuff {
            data,
            modified: false,
            ifindex: self.cfg.ifindex,
            cycle: frame.cycle,
        };
        let act = prog.run(&mut xb);
        if xb.modified {
            self.mem
                .cpu_write(data_addr, &xb.data)
                .map_err(DriverError::mem("writing back an XDP-modified frame"))?;
        }
        Ok(act)
    }

    /// Carries out a verdict: PASS up the stack, DROP and ABORTED recycled
    /// into the NAPI cache, TX (and a redirect to this device) out of the
    /// own TX ring, a redirect elsewhere queued for [`Self::take_redirects`].
    fn carry_out(
        &mut self,
        action: XdpAction,
        buf: RxBuf,
        frame: &RxFrame,
    ) -> Result<(), DriverError> {
        let cfg = &self.cfg;
        let o = self.open.as_mut().expect("open");
        let (data_off, len) = (frame.data_off, frame.len);
        match action {
            XdpAction::Pass => {
                self.stats.rx_pass += 1;
                self.deliver(buf, data_off, len);
            }
            XdpAction::Drop => {
                self.stats.rx_xdp_drop += 1;
                o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
            }
            XdpAction::Aborted => {
                self.stats.rx_xdp_aborted += 1;
                tracing::warn!(cycle = frame.cycle, dev = %cfg.name, idx = frame.idx, "xdp_exception: XDP_ABORTED");
                o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
            }
            XdpAction::Tx => {
                self.stats.rx_xdp_tx += 1;
                self.rx_to_own_tx(buf, data_off, len)?;
            }
            XdpAction::Redirect(target) => {
                self.stats.rx_xdp_redirect += 1;
                let RedirectTarget::Ifindex(ifx) = target;
                if ifx == cfg.ifindex {
                    self.rx_to_own_tx(buf, data_off, len)?;
                } else {
                    self.redirects.push(XdpFrame {
                        page: Some(buf.page),
                        pool: o.rx_pool_h.clone(),
                        dev: self.dma.clone(),
                        mem: self.mem.clone(),
                        offset: data_off,
                        len,
                        target,
                        from: cfg.ifindex,
                        xdp_mem: o.rxq.frame_mem(),
                        log: self.xdp_mem_log.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// PASS: the page becomes an skb (carrying the pool's recycle mark),
    /// given to the rx handler inside the poll or queued on the socket.
    fn deliver(&mut self, buf: RxBuf, data_off: u32, len: u32) {
        let o = self.open.as_mut().expect("open");
        let skb = SkBuff::from_pool_page(
            self.mem.clone(),
            buf.page,
            o.rx_pool_h.clone(),
            data_off,
            len,
            buf.truesize,
            self.skb_log.clone(),
        );
        let skb = match self.rx_handler.as_mut() {
            Some(h) => h.receive(skb, &mut o.rx_pool.napi_ctx(self.cfg.napi_id)),
            None => Some(skb),
        };
        if let Some(skb) = skb {
            self.socket.push_back(skb);
        }
    }
}

/// Where a received frame is: its completion index, its data (after the
/// headroom) in the buffer's page, and the cycle it was processed at.
struct RxFrame {
    idx: u16,
    data_off: u32,
    len: u32,
    cycle: u64,
}
