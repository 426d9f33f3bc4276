//! The driver's wait for a register field (probe's CTRL.SOFT_RESET, close's
//! STATUS.IDLE): it gives up at the first read past `wait_timeout_cycles`,
//! not before and not later, and reports the cycles it waited.

use std::cell::RefCell;
use std::rc::Rc;

use hostdriver::model::ModelNic;
use hostdriver::{DevError, Driver, DriverConfig, DriverError, NicDevice};
use nic_hw::regs::{self, ctrl};
use pool::{Coherence, DmaDev, HostMemory};

/// Cycles of the CTRL accesses of a probe: when the SOFT_RESET write
/// completed, and when each later read of CTRL did.
#[derive(Default)]
struct CtrlLog {
    reset_written: Option<u64>,
    reads: Vec<u64>,
}

/// A NIC whose soft reset never finishes: CTRL.SOFT_RESET reads 1 for
/// ever. Its clock stops the test at `limit` cycles (a wait that never
/// gives up).
struct ResetNeverDone {
    nic: ModelNic,
    log: Rc<RefCell<CtrlLog>>,
    limit: u64,
}

impl NicDevice for ResetNeverDone {
    fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError> {
        let v = self.nic.mmio_read(reg)?;
        if reg != regs::CTRL {
            return Ok(v);
        }
        self.log.borrow_mut().reads.push(self.nic.cycle());
        Ok(v | ctrl::SOFT_RESET)
    }
    fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError> {
        self.nic.mmio_write(reg, value)?;
        if reg == regs::CTRL && value & ctrl::SOFT_RESET != 0 {
            self.log.borrow_mut().reset_written = Some(self.nic.cycle());
        }
        Ok(())
    }
    fn irq_asserted(&self) -> bool {
        self.nic.irq_asserted()
    }
    fn advance(&mut self, cycles: u64) -> Result<(), DevError> {
        assert!(
            self.nic.cycle() < self.limit,
            "still waiting at cycle {}: the wait did not give up",
            self.nic.cycle()
        );
        self.nic.advance(cycles)
    }
    fn cycle(&self) -> u64 {
        self.nic.cycle()
    }
    fn dma_dev(&self) -> &DmaDev {
        self.nic.dma_dev()
    }
    fn host_mem(&self) -> &HostMemory {
        self.nic.host_mem()
    }
}

/// For every timeout in a range wider than one poll interval (so one of
/// them falls exactly on a read): the wait times out, the cycles it
/// reports are those from the SOFT_RESET write to its last read, that is
/// past the timeout, and the read before it was not.
#[test]
fn wait_gives_up_at_the_first_read_past_the_timeout() {
    for timeout in 200..240u64 {
        let log = Rc::new(RefCell::new(CtrlLog::default()));
        let mem = hostdriver::test_utils::memory(Coherence::Coherent);
        let dev = ResetNeverDone {
            nic: ModelNic::new(&mem, "nic0", Default::default()),
            log: log.clone(),
            limit: 10 * timeout,
        };
        let cfg = DriverConfig {
            wait_timeout_cycles: timeout,
            ..DriverConfig::default()
        };
        let err = Driver::probe(dev, cfg).err();
        let log = log.borrow();
        let start = log.reset_written.expect("probe wrote CTRL.SOFT_RESET");
        let (&last, before) = log.reads.split_last().expect("CTRL read");
        match err {
            Some(DriverError::Timeout {
                reg,
                field,
                expected,
                last: last_value,
                waited_cycles,
            }) => {
                assert_eq!((reg, field, expected), ("CTRL", "SOFT_RESET", 0));
                assert_ne!(last_value & ctrl::SOFT_RESET, 0);
                assert_eq!(
                    waited_cycles,
                    last - start,
                    "timeout {timeout}: cycles from the reset write to the last read"
                );
                assert!(waited_cycles > timeout, "timeout {timeout}: gave up early");
                if let Some(&prev) = before.last() {
                    assert!(
                        prev - start <= timeout,
                        "timeout {timeout}: the read at {} cycles was already past it",
                        prev - start
                    );
                }
            }
            other => panic!("timeout {timeout}: expected a Timeout, got {other:?}"),
        }
    }
}
