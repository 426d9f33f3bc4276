//! A misbehaving driver made from the correct one: a device layer between
//! the driver and the monitors that rewrites the NAPI steps the driver
//! reports, or holds back its IRQ_STATUS acknowledgements until after the
//! next IRQ_MASK write.

use hostdriver::{DevError, NapiEvent, NicDevice};
use nic_hw::regs;
use pool::{DmaDev, HostMemory};

/// Rewrites (or drops, with `None`) a reported step.
pub type Rewrite = Box<dyn FnMut(&NapiEvent) -> Option<NapiEvent>>;

/// The layer.
pub struct Mutant<D: NicDevice> {
    /// The device below (the monitors).
    pub inner: D,
    rewrite: Rewrite,
    hold_acks: bool,
    held: Option<u32>,
}

impl<D: NicDevice> Mutant<D> {
    /// Steps rewritten by `rewrite`.
    pub fn rewriting(inner: D, rewrite: Rewrite) -> Self {
        Mutant {
            inner,
            rewrite,
            hold_acks: false,
            held: None,
        }
    }

    /// IRQ_STATUS writes held back until after the next IRQ_MASK write.
    pub fn acking_late(inner: D) -> Self {
        Mutant {
            inner,
            rewrite: Box::new(|e| Some(*e)),
            hold_acks: true,
            held: None,
        }
    }
}

impl<D: NicDevice> NicDevice for Mutant<D> {
    fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError> {
        self.inner.mmio_read(reg)
    }
    fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError> {
        if self.hold_acks && reg == regs::IRQ_STATUS {
            self.held = Some(value);
            return Ok(());
        }
        self.inner.mmio_write(reg, value)?;
        if reg == regs::IRQ_MASK {
            if let Some(v) = self.held.take() {
                self.inner.mmio_write(regs::IRQ_STATUS, v)?;
            }
        }
        Ok(())
    }
    fn irq_asserted(&self) -> bool {
        self.inner.irq_asserted()
    }
    fn advance(&mut self, cycles: u64) -> Result<(), DevError> {
        self.inner.advance(cycles)
    }
    fn cycle(&self) -> u64 {
        self.inner.cycle()
    }
    fn napi_event(&mut self, ev: &NapiEvent) {
        if let Some(e) = (self.rewrite)(ev) {
            self.inner.napi_event(&e);
        }
    }
    fn dma_dev(&self) -> &DmaDev {
        self.inner.dma_dev()
    }
    fn host_mem(&self) -> &HostMemory {
        self.inner.host_mem()
    }
}
