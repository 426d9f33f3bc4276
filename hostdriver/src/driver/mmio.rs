//! Register access: 32-bit reads and traced writes, and waiting for a
//! register field to reach a value within the configured timeout.

use nic_hw::regs;

use super::Driver;
use crate::error::DriverError;
use crate::NicDevice;

/// Cycles between two reads while waiting for a register field.
const WAIT_POLL_CYCLES: u64 = 8;

/// 32-bit read of register `reg`.
pub(super) fn rd<D: NicDevice>(dev: &mut D, reg: u32) -> Result<u32, DriverError> {
    Ok(dev.mmio_read(reg)?)
}

/// 32-bit write of `v` to register `reg`, traced with the register's name.
pub(super) fn wr<D: NicDevice>(dev: &mut D, reg: u32, v: u32) -> Result<(), DriverError> {
    tracing::trace!(
        cycle = dev.cycle(),
        reg = regs::name_of(reg).unwrap_or("?"),
        value = v,
        "mmio write"
    );
    Ok(dev.mmio_write(reg, v)?)
}

/// The low register half of a 64-bit address.
pub(super) fn lo(a: u64) -> u32 {
    a as u32
}

/// The high register half of a 64-bit address.
pub(super) fn hi(a: u64) -> u32 {
    (a >> 32) as u32
}

impl<D: NicDevice> Driver<D> {
    /// Polls `reg` until `reg & mask == expected`, or fails with
    /// [`DriverError::Timeout`] after `wait_timeout_cycles`.
    pub(super) fn wait_field(
        &mut self,
        reg: u32,
        reg_name: &'static str,
        field: &'static str,
        mask: u32,
        expected: u32,
    ) -> Result<u32, DriverError> {
        let start = self.dev.cycle();
        loop {
            let v = rd(&mut self.dev, reg)?;
            if v & mask == expected {
                return Ok(v);
            }
            let waited = self.dev.cycle() - start;
            if waited > self.cfg.wait_timeout_cycles {
                return Err(DriverError::Timeout {
                    reg: reg_name,
                    field,
                    expected: u32::from(expected != 0),
                    last: v,
                    waited_cycles: waited,
                });
            }
            self.advance_checked(WAIT_POLL_CYCLES)?;
        }
    }
}
