//! The network stack a scenario runs above the driver.

use std::collections::VecDeque;

use hostdriver::SkBuff;
use pool::{HostAddr, HostMemory, NapiCtx, NapiId, PagePool, PpPage};

use super::frames::frame_hash;

/// The NAPI instance the bench owns for `consume = "other_napi"` (another
/// CPU's backlog NAPI, or a forwarding target's TX-completion NAPI): never
/// the driver's own, `driver`.
pub(super) fn other_napi_id(driver: NapiId) -> NapiId {
    NapiId(driver.0.wrapping_add(1))
}

/// The network stack above the driver: records every PASS frame (hash,
/// count, bytes), holds, copies or echoes skbs as the scenario's `[stack]`
/// section says, and frees them from NAPI (the driver's, or another
/// instance's) or process context.
#[derive(Default)]
pub(super) struct Stack {
    pub(super) hold: usize,
    pub(super) held: VecDeque<SkBuff>,
    pub(super) copy_pool: Option<PagePool>,
    pub(super) copies: VecDeque<PpPage>,
    pub(super) mem: Option<HostMemory>,
    pub(super) got: Vec<u64>,
    pub(super) echo: Option<VecDeque<Vec<u8>>>,
    pub(super) frames: u64,
    pub(super) bytes: u64,
    pub(super) errors: Vec<String>,
}

impl Stack {
    fn record(&mut self, skb: &SkBuff) {
        match skb.to_vec() {
            Ok(v) => {
                self.got.push(frame_hash(&v));
                self.frames += 1;
                self.bytes += v.len() as u64;
            }
            Err(e) => self.errors.push(format!("reading an skb: {e}")),
        }
    }

    /// An skb in a NAPI poll (`napi`: the driver's, or the bench's other
    /// instance): freed there with `napi_consume_skb`, now or in a batch of
    /// `hold`.
    pub(super) fn in_napi(&mut self, skb: SkBuff, napi: &mut NapiCtx<'_>) {
        self.record(&skb);
        if self.hold == 0 {
            skb.free_in_napi(napi);
            return;
        }
        self.held.push_back(skb);
        if self.held.len() >= self.hold {
            for s in self.held.drain(..) {
                s.free_in_napi(napi);
            }
        }
    }

    pub(super) fn in_process(&mut self, skb: SkBuff) {
        self.record(&skb);
        if let Some(q) = self.echo.as_mut() {
            match skb.to_vec() {
                Ok(v) => q.push_back(v),
                Err(e) => self.errors.push(format!("reading an skb to echo: {e}")),
            }
        }
        if let Some(pp) = self.copy_pool.as_mut() {
            let data = skb.to_vec().unwrap_or_default();
            skb.free();
            let mut off = 0;
            match pp.dev_alloc_frag(&mut off, data.len() as u32) {
                Ok(page) => {
                    let at = HostAddr::new(page.host_addr().raw_value() + u64::from(off));
                    if let Some(mem) = &self.mem {
                        if let Err(e) = mem.cpu_write(at, &data) {
                            self.errors.push(format!("copying an skb: {e}"));
                        }
                    }
                    self.copies.push_back(page);
                }
                Err(e) => self.errors.push(format!("stack copy pool: {e}")),
            }
            while self.copies.len() > self.hold {
                if let Some(p) = self.copies.pop_front() {
                    pp.put_page(p, -1, false);
                }
            }
            return;
        }
        self.held.push_back(skb);
        while self.held.len() > self.hold {
            if let Some(s) = self.held.pop_front() {
                s.free();
            }
        }
    }

    /// Frees everything still held, from process context.
    pub(super) fn release_all(&mut self) {
        for s in self.held.drain(..) {
            s.free();
        }
        if let Some(pp) = self.copy_pool.as_mut() {
            for p in self.copies.drain(..) {
                pp.put_page(p, -1, false);
            }
        }
    }
}
