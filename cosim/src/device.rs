//! [`hostdriver::NicDevice`] over the Verilated NIC: MMIO through the
//! AXI4-Lite master, the interrupt line through the IRQ monitor, DMA through
//! [`PoolStorage`] (every NIC access checked by the pool's IOMMU-like
//! domain), time through [`Sim::step_n`].

use std::sync::Arc;

use hostdriver::{DevError, MmioOp, NicDevice};
use pool::{DmaDev, HostMemory};

use crate::bus::AxilError;
use crate::{PoolStorage, Sim, SimError};

fn dev_err(e: SimError, reg: u32, op: MmioOp, value: u32) -> DevError {
    match e {
        SimError::Axil {
            source: AxilError::SlvErr { .. },
            ..
        } => DevError::slverr(reg, op, value),
        SimError::Axil {
            source: AxilError::DecErr { .. },
            ..
        } => DevError::DecErr { reg, op },
        other => DevError::Sim(Arc::new(other)),
    }
}

impl NicDevice for Sim<PoolStorage> {
    fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError> {
        self.read_reg(reg)
            .map_err(|e| dev_err(e, reg, MmioOp::Read, 0))
    }

    fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError> {
        self.write_reg(reg, value)
            .map_err(|e| dev_err(e, reg, MmioOp::Write, value))
    }

    fn irq_asserted(&self) -> bool {
        self.irq().level()
    }

    fn advance(&mut self, cycles: u64) -> Result<(), DevError> {
        self.step_n(cycles).map_err(|e| DevError::Sim(Arc::new(e)))
    }

    fn cycle(&self) -> u64 {
        Sim::cycle(self)
    }

    fn dma_dev(&self) -> &DmaDev {
        self.storage().dev()
    }

    fn host_mem(&self) -> &HostMemory {
        self.storage().memory()
    }
}
