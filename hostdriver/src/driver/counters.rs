//! Counters: the driver's software stats, the NIC's STAT_* registers, the
//! RX pool's stats, and the `ethtool -S` list of all three.

use nic_hw::regs;
use pool::{PagePoolHandle, PagePoolStats};

use super::mmio::rd;
use super::Driver;
use crate::error::DriverError;
use crate::stats::{pp_ethtool_values, DriverStats, HwStats, PP_ETHTOOL_NAMES};
use crate::NicDevice;

impl<D: NicDevice> Driver<D> {
    /// Software counters.
    pub fn stats(&self) -> DriverStats {
        self.stats
    }

    /// The NIC's counters since probe: the STAT_* registers plus what they
    /// held before the soft reset of every reopen.
    pub fn hw_stats(&mut self) -> Result<HwStats, DriverError> {
        let mut total = self.hw_before_reset;
        total.accumulate(&self.hw_registers()?);
        Ok(total)
    }

    /// Reads the NIC's STAT_* registers (since the last soft reset).
    pub(super) fn hw_registers(&mut self) -> Result<HwStats, DriverError> {
        let d = &mut self.dev;
        Ok(HwStats {
            hw_rx_frames: u64::from(rd(d, regs::STAT_RX_FRAMES)?),
            hw_rx_bytes: u64::from(rd(d, regs::STAT_RX_BYTES)?),
            hw_rx_drop_no_desc: u64::from(rd(d, regs::STAT_RX_DROP_NO_DESC)?),
            hw_rx_drop_too_long: u64::from(rd(d, regs::STAT_RX_DROP_TOO_LONG)?),
            hw_rx_drop_off: u64::from(rd(d, regs::STAT_RX_DROP_OFF)?),
            hw_rx_drop_dma_err: u64::from(rd(d, regs::STAT_RX_DROP_DMA_ERR)?),
            hw_tx_frames: u64::from(rd(d, regs::STAT_TX_FRAMES)?),
            hw_tx_bytes: u64::from(rd(d, regs::STAT_TX_BYTES)?),
            hw_tx_bad_desc: u64::from(rd(d, regs::STAT_TX_BAD_DESC)?),
            hw_dma_errors: u64::from(rd(d, regs::STAT_DMA_ERRORS)?),
        })
    }

    /// The RX pool's `page_pool_get_stats` (also after close).
    pub fn pool_stats(&self) -> Option<PagePoolStats> {
        self.rx_pool_h.as_ref().map(PagePoolHandle::get_stats)
    }

    /// `ethtool -S`: driver counters, the NIC's counters, then the RX pool's
    /// `rx_pp_*` counters.
    pub fn ethtool_stats(&mut self) -> Result<Vec<(String, u64)>, DriverError> {
        let mut out: Vec<(String, u64)> = self
            .stats
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        out.extend(
            self.hw_stats()?
                .pairs()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        let pp = self.pool_stats().unwrap_or_default();
        out.extend(
            PP_ETHTOOL_NAMES
                .iter()
                .zip(pp_ethtool_values(&pp))
                .map(|(k, v)| ((*k).to_owned(), v)),
        );
        Ok(out)
    }
}
