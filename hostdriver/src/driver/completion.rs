//! Reading the completion rings: the phase bit says whether the next entry
//! is there, then its index and tag must match the consumer index.

use nic_hw::regs::cpl_layout;
use nic_hw::wire::Completion;

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
        let mut raw = [0u8; Completion::SIZE];
        self.mem
            .cpu_read(ring.entry(cons), &mut raw)
            .map_err(DriverError::mem("reading a completion"))?;
        let phase = raw[cpl_layout::FLAGS] & nic_hw::regs::CPL_FLAG_PHASE as u8 != 0;
        if phase != Completion::expected_phase(cons, ring.size) {
            return Ok(None);
        }
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
