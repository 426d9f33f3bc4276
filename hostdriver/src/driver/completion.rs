//! Reading the completion rings: the phase bit says whether the next entry
//! is there (read alone, then `dma_rmb()`, then the other fields), then its
//! index and tag must match the consumer index.

use nic_hw::regs::cpl_layout;
use nic_hw::wire::Completion;
use pool::HostAddr;

use super::Driver;
use crate::error::DriverError;
use crate::NicDevice;

impl<D: NicDevice> Driver<D> {
    /// The next completion of the TX (`tx`) or RX completion ring, if the
    /// device wrote it (its phase bit is the expected one), checked
    /// against the consumer index; the consumer index is not moved.
    pub(super) fn peek_cpl(&self, tx: bool) -> Result<Option<Completion>, DriverError> {
        let Some(o) = self.open.as_ref() else {
            return Ok(None);
        };
        let (ring, cons, name) = if tx {
            (&o.tx_cq, o.tx_cq_cons, "TX")
        } else {
            (&o.rx_cq, o.rx_cq_cons, "RX")
        };
        let entry = ring.entry(cons);
        let mut raw = [0u8; Completion::SIZE];
        // The flags byte alone first: only once its phase bit says the
        // entry is there, and after dma_rmb(), are the other fields read.
        let flags_at = HostAddr::new(entry.raw_value() + cpl_layout::FLAGS as u64);
        self.mem
            .cpu_read(flags_at, &mut raw[cpl_layout::FLAGS..=cpl_layout::FLAGS])
            .map_err(DriverError::mem("reading a completion's phase bit"))?;
        let phase = raw[cpl_layout::FLAGS] & nic_hw::regs::CPL_FLAG_PHASE as u8 != 0;
        if phase != Completion::expected_phase(cons, ring.size) {
            return Ok(None);
        }
        self.mem.dma_rmb();
        let after = cpl_layout::FLAGS + 1;
        let read = |at: usize, buf: &mut [u8]| {
            self.mem
                .cpu_read(HostAddr::new(entry.raw_value() + at as u64), buf)
                .map_err(DriverError::mem("reading a completion"))
        };
        let (head, tail) = raw.split_at_mut(cpl_layout::FLAGS);
        read(0, head)?;
        read(after, &mut tail[1..])?;
        let c = Completion::parse(&raw).map_err(|source| DriverError::BadCompletion {
            ring: name,
            idx: cons,
            source,
        })?;
        if c.desc_idx() != cons {
            return Err(DriverError::CompletionMismatch {
                ring: name,
                idx: cons,
                field: "desc_idx",
                got: u64::from(c.desc_idx()),
                expected: u64::from(cons),
            });
        }
        if c.tag() != u32::from(cons) {
            return Err(DriverError::CompletionMismatch {
                ring: name,
                idx: cons,
                field: "tag",
                got: u64::from(c.tag()),
                expected: u64::from(cons),
            });
        }
        Ok(Some(c))
    }

    /// Whether either completion ring holds a new entry.
    pub(super) fn work_pending(&self) -> Result<bool, DriverError> {
        Ok(self.peek_cpl(false)?.is_some() || self.peek_cpl(true)?.is_some())
    }
}
