//! The memory model's storage on the project's simulated host memory: every
//! device access goes through the pool's IOMMU-like translation and checks
//! (`pool::DmaDev::device_read` / `device_write`), so the NIC can only touch
//! what the driver mapped, in the mapped direction. Every burst the memory
//! accepts is in flight for the pool from its address handshake to its
//! last response (`pool::DmaDev::device_access_begin` / `_end`), so the
//! pool can tell a buffer unmapped or recycled under a moving burst.

use pool::{Access, DmaAddr, DmaDev, DmaFault, FaultKind, HostMemory};

use crate::bus::{Burst, Dir, DmaStorage, Resp, StorageFault};

/// The bytes a burst spans (from its address to the end of its last beat)
/// and its direction, as the pool counts them in flight.
fn span(b: &Burst) -> (DmaAddr, usize, Access) {
    let bw = 1u64 << b.size;
    let len = u64::from(b.beats) * bw - b.addr % bw;
    let access = match b.dir {
        Dir::Read => Access::Read,
        Dir::Write => Access::Write,
    };
    (DmaAddr::new(b.addr), len as usize, access)
}

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
    #[inline]
    fn begin_burst(&mut self, burst: &Burst) -> Result<(), StorageFault> {
        let (addr, len, access) = span(burst);
        self.dev.device_access_begin(addr, len, access);
        Ok(())
    }

    #[inline]
    fn end_burst(&mut self, burst: &Burst) {
        let (addr, len, access) = span(burst);
        self.dev.device_access_end(addr, len, access);
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{AddrBeat, AxiMasterSignals, AxiMem, AxiMemConfig, WBeat};
    use pool::MemConfig;

    fn beat(addr: u64) -> AddrBeat {
        AddrBeat {
            valid: true,
            id: 0,
            addr,
            len: 1,
            size: 3,
            burst: 1,
        }
    }

    /// Clocks the slave until `done` holds for what the pool sees.
    fn clock(
        mem: &mut AxiMem<PoolStorage>,
        cycle: &mut u64,
        m: AxiMasterSignals,
        done: impl Fn(&AxiMem<PoolStorage>) -> bool,
    ) {
        for _ in 0..50 {
            mem.drive(*cycle);
            mem.update(&m).expect("legal burst");
            *cycle += 1;
            if done(mem) {
                return;
            }
        }
        panic!("the burst never finished");
    }

    #[test]
    fn a_burst_is_in_flight_for_the_pool_from_its_address_to_its_last_response() {
        let host = HostMemory::new(MemConfig {
            pages_per_node: 16,
            ..MemConfig::default()
        });
        let dev = DmaDev::new(&host, "nic");
        let mut mem =
            AxiMem::new(AxiMemConfig::default(), PoolStorage::new(dev.clone())).expect("slave");
        let mut cycle = 0;
        let idle = AxiMasterSignals {
            bready: true,
            rready: true,
            ..Default::default()
        };
        let read = AxiMasterSignals {
            ar: beat(0x1000),
            ..idle
        };
        let s = mem.drive(cycle);
        assert!(s.arready);
        mem.update(&read).expect("legal burst");
        cycle += 1;
        let b = dev.bursts_in_flight();
        assert_eq!(b.len(), 1);
        assert_eq!(
            (b[0].addr, b[0].len, b[0].access),
            (DmaAddr::new(0x1000), 16, Access::Read)
        );
        clock(&mut mem, &mut cycle, idle, |m| m.is_idle());
        assert_eq!(dev.dma_in_flight(), 0, "ended at its last R beat");

        let write = AxiMasterSignals {
            aw: beat(0x2004),
            w: WBeat {
                valid: true,
                data: 0,
                strb: 0xf0,
                last: false,
            },
            ..idle
        };
        let s = mem.drive(cycle);
        assert!(s.awready && s.wready);
        mem.update(&write).expect("legal burst");
        cycle += 1;
        assert_eq!(dev.bursts_in_flight()[0].len, 12);
        let second = AxiMasterSignals {
            w: WBeat {
                valid: true,
                data: 0,
                strb: 0xff,
                last: true,
            },
            ..idle
        };
        mem.drive(cycle);
        mem.update(&second).expect("legal burst");
        cycle += 1;
        assert_eq!(dev.dma_in_flight(), 1, "awaiting its B");
        clock(&mut mem, &mut cycle, idle, |m| m.is_idle());
        assert_eq!(dev.dma_in_flight(), 0, "ended at its B");
    }
}
