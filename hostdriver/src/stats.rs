//! `ethtool -S`-like counters.

use pool::PagePoolStats;

/// The page pool's ethtool names, in the kernel's order
/// (`net/core/page_pool.c`, `pp_stats[]`).
pub const PP_ETHTOOL_NAMES: [&str; 11] = [
    "rx_pp_alloc_fast",
    "rx_pp_alloc_slow",
    "rx_pp_alloc_slow_ho",
    "rx_pp_alloc_empty",
    "rx_pp_alloc_refill",
    "rx_pp_alloc_waive",
    "rx_pp_recycle_cached",
    "rx_pp_recycle_cache_full",
    "rx_pp_recycle_ring",
    "rx_pp_recycle_ring_full",
    "rx_pp_recycle_released_ref",
];

/// The values of [`PP_ETHTOOL_NAMES`] (`page_pool_ethtool_stats_get`).
pub fn pp_ethtool_values(s: &PagePoolStats) -> [u64; 11] {
    let (a, r) = (s.alloc_stats, s.recycle_stats);
    [
        a.fast,
        a.slow,
        a.slow_high_order,
        a.empty,
        a.refill,
        a.waive,
        r.cached,
        r.cache_full,
        r.ring,
        r.ring_full,
        r.released_refcnt,
    ]
}

macro_rules! counters {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fm])* pub $f: u64,)*
        }
        impl $name {
            /// `(name, value)` pairs in declaration order.
            pub fn pairs(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($f), self.$f),)*]
            }

            /// Adds every counter of `other` to this one.
            pub fn accumulate(&mut self, other: &Self) {
                $(self.$f += other.$f;)*
            }
        }
    };
}

counters! {
    /// Software counters of the driver (queue 0).
    DriverStats {
        /// RX completions processed (frames the driver received).
        rx_packets,
        /// Bytes of those frames.
        rx_bytes,
        /// Frames handed to the stack as skbs (PASS).
        rx_pass,
        /// XDP_DROP verdicts.
        rx_xdp_drop,
        /// XDP_ABORTED verdicts.
        rx_xdp_aborted,
        /// XDP_TX verdicts queued for transmit.
        rx_xdp_tx,
        /// XDP_TX frames dropped because TX ring and backlog were full.
        rx_xdp_tx_errors,
        /// XDP_REDIRECT verdicts.
        rx_xdp_redirect,
        /// RX completions longer than the buffer they landed in (dropped).
        rx_len_errors,
        /// Buffer allocations that failed during refill (slot left empty).
        rx_refill_failures,
        /// RX buffers posted to the device.
        rx_buffers_posted,
        /// RX doorbells written.
        rx_doorbells,
        /// Interrupts taken.
        irqs,
        /// NAPI polls run.
        napi_polls,
        /// Polls that used the whole budget.
        napi_budget_exhausted,
        /// napi_complete_done calls.
        napi_complete,
        /// Completions that found new work and rescheduled the poll.
        napi_repoll,
        /// TX completions with status OK.
        tx_packets,
        /// Bytes of those.
        tx_bytes,
        /// TX completions with status BAD_LEN.
        tx_bad_desc,
        /// Caller frames accepted by xmit (copied into a pool page).
        tx_xmit,
        /// xmit calls refused because the ring was full.
        tx_busy,
        /// xmit calls refused because the TX pool had no page.
        tx_alloc_failures,
        /// Times the TX queue was stopped (ring full).
        tx_queue_stopped,
        /// Times it was woken again.
        tx_queue_woken,
        /// Redirected frames accepted by xdp_xmit.
        tx_xdp_xmit,
        /// Redirected frames refused by xdp_xmit (handed back to the caller).
        tx_xdp_xmit_errors,
        /// Frames parked in the backlog because the TX ring was full.
        tx_backlogged,
        /// TX doorbells written.
        tx_doorbells,
        /// TX buffers returned without being sent (at close).
        tx_dropped_at_close,
        /// DMA_ERR interrupts seen.
        dma_errors,
    }
}

counters! {
    /// The NIC's STAT_* registers.
    HwStats {
        /// STAT_RX_FRAMES.
        hw_rx_frames,
        /// STAT_RX_BYTES.
        hw_rx_bytes,
        /// STAT_RX_DROP_NO_DESC.
        hw_rx_drop_no_desc,
        /// STAT_RX_DROP_TOO_LONG.
        hw_rx_drop_too_long,
        /// STAT_RX_DROP_OFF.
        hw_rx_drop_off,
        /// STAT_RX_DROP_DMA_ERR.
        hw_rx_drop_dma_err,
        /// STAT_TX_FRAMES.
        hw_tx_frames,
        /// STAT_TX_BYTES.
        hw_tx_bytes,
        /// STAT_TX_BAD_DESC.
        hw_tx_bad_desc,
        /// STAT_DMA_ERRORS.
        hw_dma_errors,
    }
}

impl HwStats {
    /// Frames the NIC took off the wire: written or dropped by reason.
    pub fn rx_frames_in(&self) -> u64 {
        self.hw_rx_frames
            + self.hw_rx_drop_no_desc
            + self.hw_rx_drop_too_long
            + self.hw_rx_drop_off
            + self.hw_rx_drop_dma_err
    }
}
