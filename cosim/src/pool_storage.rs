//! The memory model's storage on the project's simulated host memory: every
//! device access goes through the pool's IOMMU-like translation and checks
//! (`pool::DmaDev::device_read` / `device_write`), so the NIC can only touch
//! what the driver mapped, in the mapped direction.

use pool::{DmaAddr, DmaDev, DmaFault, FaultKind, HostMemory};

use crate::bus::{DmaStorage, Resp, StorageFault};

/// [`DmaStorage`] over a [`DmaDev`]. Faults are answered as DECERR when no
/// mapping covers the bytes (or the address is outside the device's
/// window) and as SLVERR when a mapping forbids the access (direction, or
/// cache lines the CPU owns); each is kept in [`PoolStorage::faults`].
#[derive(Debug, Clone)]
pub struct PoolStorage {
    dev: DmaDev,
    mem: HostMemory,
    faults: Vec<DmaFault>,
}

impl PoolStorage {
    pub fn new(dev: DmaDev) -> Self {
        let mem = dev.memory().clone();
        Self {
            dev,
            mem,
            faults: Vec::new(),
        }
    }
    pub fn dev(&self) -> &DmaDev {
        &self.dev
    }
    pub fn memory(&self) -> &HostMemory {
        &self.mem
    }
    /// Every fault the pool reported, in order.
    pub fn faults(&self) -> &[DmaFault] {
        &self.faults
    }

    fn fault(&mut self, f: DmaFault) -> StorageFault {
        let resp = match f.kind {
            FaultKind::NotMapped { .. } | FaultKind::OutsideWindow => Resp::DecErr,
            _ => Resp::SlvErr,
        };
        let detail = f.to_string();
        self.faults.push(f);
        StorageFault { resp, detail }
    }
}

impl DmaStorage for PoolStorage {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), StorageFault> {
        self.dev
            .device_read(DmaAddr::new(addr), buf)
            .map_err(|f| self.fault(f))
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), StorageFault> {
        self.dev
            .device_write(DmaAddr::new(addr), data)
            .map_err(|f| self.fault(f))
    }

    #[inline]
    fn on_cycle(&mut self, cycle: u64) {
        self.mem.set_cycle(cycle);
    }
}
