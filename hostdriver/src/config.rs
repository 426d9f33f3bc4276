//! Driver configuration.

use pool::{IfIndex, NapiId, MIN_NAPI_ID, PAGE_SIZE};

use crate::error::DriverError;

/// `XDP_PACKET_HEADROOM`.
pub const XDP_PACKET_HEADROOM: u32 = 256;
/// `NET_SKB_PAD` on x86-64 (headroom without XDP).
pub const NET_SKB_PAD: u32 = 64;
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64: the tailroom
/// `build_skb` needs after the frame.
pub const SKB_SHARED_INFO_SIZE: u32 = 320;

/// Highest RX page order the driver accepts (32 KiB pages, enough for a
/// MAX_FRAME_CAP frame with headroom and tailroom).
pub const MAX_RX_PAGE_ORDER: u32 = 3;

/// How RX buffers are carved out of pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxMode {
    /// One frame per page (`page_pool_dev_alloc_pages`); required with an
    /// XDP program.
    Page,
    /// Split pages (`page_pool_dev_alloc`: fragments of `headroom +
    /// MAX_FRAME_LEN + tailroom` bytes, a whole page when that is more than
    /// half a page); pages go back with `dma_sync_size = -1`.
    Frag,
}

/// Test-only switches that deliberately break the driver, so tests can show
/// the checks catch the bug. All off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TestSwitches {
    /// Skip `dma_sync_single_range_for_cpu` on received buffers: in
    /// non-coherent memory the CPU reads stale cache lines.
    pub skip_rx_sync_for_cpu: bool,
    /// Skip the driver's `sync_for_device` when posting a buffer (only
    /// matters without `PP_FLAG_DMA_SYNC_DEV`): the device then writes into
    /// lines the CPU owns and the DMA layer refuses the write.
    pub skip_refill_sync_for_device: bool,
    /// Skip `sync_for_device` before handing a TX buffer to the device: in
    /// non-coherent memory the device reads stale RAM.
    pub skip_tx_sync_for_device: bool,
    /// Close without waiting for STATUS.IDLE after clearing CTRL: the
    /// posted RX and TX buffers go back to the pools while the NIC may
    /// still be writing or reading them.
    pub close_without_waiting_idle: bool,
}

/// Driver configuration (module parameters and `ethtool -G/-C` settings).
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// Interface name, for logs.
    pub name: String,
    /// Interface index (the pools' netdev, the REDIRECT target id).
    pub ifindex: IfIndex,
    /// The RX queue's NAPI instance: by default the first id
    /// `napi_hash_add` hands out ([`MIN_NAPI_ID`]), so netlink shows it.
    pub napi_id: NapiId,
    /// RX ring entries: a power of two in 2..=4096.
    pub rx_ring_size: u16,
    /// TX ring entries: a power of two in 2..=4096.
    pub tx_ring_size: u16,
    /// Bytes reserved in front of every RX frame (RX_HEADROOM, the pool's
    /// `offset`).
    pub headroom: u32,
    /// Bytes reserved after the frame buffer (skb_shared_info).
    pub tailroom: u32,
    /// MAX_FRAME_LEN.
    pub max_frame_len: u32,
    /// Bytes posted per RX descriptor (`ethtool -G rx-buf-len`): the
    /// descriptor's `len`, so the most the device may write into a buffer
    /// after the headroom, and the length the driver syncs for the device;
    /// the NIC drops a longer frame (STAT_RX_DROP_TOO_LONG) and keeps the
    /// descriptor for the next one. 0 = the whole buffer space.
    pub rx_buf_len: u32,
    /// Buffer layout.
    pub rx_mode: RxMode,
    /// Order of the RX pool's pages (`page_pool_params.order`): 0 for 4 KiB
    /// pages, 2 for 16 KiB compound pages (jumbo frames in one buffer, or
    /// more fragments per page), up to [`MAX_RX_PAGE_ORDER`].
    pub rx_page_order: u32,
    /// Create the RX pool with `PP_FLAG_DMA_SYNC_DEV` (the pool syncs
    /// recycled pages for the device) instead of syncing in the driver.
    pub pool_sync_dev: bool,
    /// NAPI budget.
    pub budget: usize,
    /// IRQ_COAL_FRAMES.
    pub coal_frames: u32,
    /// IRQ_COAL_CYCLES.
    pub coal_cycles: u32,
    /// CTRL.LOOPBACK.
    pub loopback: bool,
    /// XDP_TX / redirected frames waiting for TX ring space, at most.
    pub tx_backlog: usize,
    /// Polls one [`crate::Driver::service`] call runs at most before it
    /// returns with NAPI still scheduled (`netdev_budget` style).
    pub max_polls_per_service: usize,
    /// Cycles to wait for CTRL.SOFT_RESET and STATUS.IDLE.
    pub wait_timeout_cycles: u64,
    /// Recycle ring size of the RX pool (0 = the pool's default).
    pub pool_size: usize,
    /// Deliberate bugs, for tests.
    pub test: TestSwitches,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            name: "nic0".into(),
            ifindex: IfIndex(2),
            napi_id: NapiId(MIN_NAPI_ID),
            rx_ring_size: 256,
            tx_ring_size: 256,
            headroom: XDP_PACKET_HEADROOM,
            tailroom: SKB_SHARED_INFO_SIZE,
            max_frame_len: 1518,
            rx_buf_len: 0,
            rx_mode: RxMode::Page,
            rx_page_order: 0,
            pool_sync_dev: true,
            budget: 64,
            coal_frames: 1,
            coal_cycles: 0,
            loopback: false,
            tx_backlog: 256,
            max_polls_per_service: 64,
            wait_timeout_cycles: 100_000,
            pool_size: 0,
            test: TestSwitches::default(),
        }
    }
}

impl DriverConfig {
    /// Size of one RX buffer including headroom and tailroom, as requested
    /// from the pool in frag mode.
    pub fn frag_request(&self) -> u32 {
        self.headroom + self.max_frame_len + self.tailroom
    }

    /// Bytes of one RX pool page (`PAGE_SIZE << rx_page_order`).
    pub fn rx_page_bytes(&self) -> u32 {
        (PAGE_SIZE as u32) << self.rx_page_order.min(MAX_RX_PAGE_ORDER)
    }

    /// Bytes the device may write into a page-mode buffer (after headroom,
    /// before tailroom).
    pub fn page_buf_len(&self) -> u32 {
        self.rx_page_bytes() - self.headroom - self.tailroom
    }

    /// Bytes after the headroom of the smallest RX buffer the driver
    /// carves: the page-mode buffer, or in frag mode the requested
    /// MAX_FRAME_LEN (a fragment rounded up to a whole page gets more).
    pub fn rx_buf_space(&self) -> u32 {
        match self.rx_mode {
            RxMode::Page => self.page_buf_len(),
            RxMode::Frag => self.max_frame_len,
        }
    }

    /// The descriptor length posted for a buffer with `space` bytes after
    /// its headroom: [`Self::rx_buf_len`], or all of `space` when that is 0.
    pub fn rx_desc_len(&self, space: u32) -> u32 {
        if self.rx_buf_len == 0 {
            space
        } else {
            self.rx_buf_len.min(space)
        }
    }

    /// Checks every field against the register map's limits.
    pub fn validate(&self) -> Result<(), DriverError> {
        let bad = |field, value: String, why| Err(DriverError::InvalidConfig { field, value, why });
        let ring_ok = |n: u16| {
            n.is_power_of_two()
                && u64::from(n) >= nic_hw::regs::MIN_RING_SIZE
                && u64::from(n) <= nic_hw::regs::MAX_RING_SIZE
        };
        if !ring_ok(self.rx_ring_size) {
            return bad(
                "rx_ring_size",
                self.rx_ring_size.to_string(),
                "RX_RING_SIZE must be a power of two in 2..=4096",
            );
        }
        if !ring_ok(self.tx_ring_size) {
            return bad(
                "tx_ring_size",
                self.tx_ring_size.to_string(),
                "TX_RING_SIZE must be a power of two in 2..=4096",
            );
        }
        if self.headroom > 4095 {
            return bad(
                "headroom",
                self.headroom.to_string(),
                "RX_HEADROOM accepts 0..=4095",
            );
        }
        if self.max_frame_len < 14 || u64::from(self.max_frame_len) > nic_hw::regs::MAX_FRAME_CAP {
            return bad(
                "max_frame_len",
                self.max_frame_len.to_string(),
                "MAX_FRAME_LEN accepts 14..=MAX_FRAME_CAP",
            );
        }
        if self.rx_page_order > MAX_RX_PAGE_ORDER {
            return bad(
                "rx_page_order",
                self.rx_page_order.to_string(),
                "RX pages of order 0..=3 (4 to 32 KiB)",
            );
        }
        if self.headroom + self.tailroom + self.max_frame_len > self.rx_page_bytes() {
            return bad(
                "max_frame_len",
                self.max_frame_len.to_string(),
                "headroom + max_frame_len + tailroom must fit one RX page (no multi-buffer frames; a larger rx_page_order makes room)",
            );
        }
        if self.rx_buf_len != 0 && !(14..=self.rx_buf_space()).contains(&self.rx_buf_len) {
            return bad(
                "rx_buf_len",
                self.rx_buf_len.to_string(),
                "0 (the whole buffer) or 14..= the buffer space after the headroom (page mode: page bytes - headroom - tailroom; frag mode: max_frame_len)",
            );
        }
        if self.budget == 0 {
            return bad("budget", "0".into(), "the NAPI budget must be at least 1");
        }
        if self.max_polls_per_service == 0 {
            return bad("max_polls_per_service", "0".into(), "must be at least 1");
        }
        Ok(())
    }
}
