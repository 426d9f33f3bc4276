//! Interrupts and NAPI: the handler masks and schedules, the poll runs TX
//! completions, RX up to the budget and the refill, then completes and
//! unmasks (or reschedules); DMA error records; running simulated time.

use nic_hw::regs::{self, irq_status};

use super::mmio::{rd, wr};
use super::Driver;
use crate::error::DriverError;
use crate::NicDevice;

/// Every interrupt cause the driver handles (and unmasks when idle).
pub(super) const IRQ_ALL: u32 =
    irq_status::RX_CQ | irq_status::TX_CQ | irq_status::DMA_ERR | irq_status::RX_DROP;

/// A step of the interrupt/NAPI protocol, for tests of interrupt discipline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NapiEvent {
    /// Interrupt taken: masked, NAPI scheduled. `status` = IRQ_STATUS.
    Irq {
        /// Device cycle.
        cycle: u64,
        /// IRQ_STATUS at the time.
        status: u32,
    },
    /// A poll starts with this budget (NAPI is scheduled).
    PollStart {
        /// Device cycle.
        cycle: u64,
        /// The budget.
        budget: usize,
    },
    /// One poll ran and processed `done` RX completions.
    Poll {
        /// Device cycle at its end.
        cycle: u64,
        /// RX completions processed.
        done: usize,
        /// The budget.
        budget: usize,
    },
    /// `napi_complete_done`.
    Complete {
        /// Device cycle.
        cycle: u64,
    },
    /// New work found after completing: rescheduled, still masked.
    Repoll {
        /// Device cycle.
        cycle: u64,
    },
    /// IRQ_MASK written to unmask.
    Unmask {
        /// Device cycle.
        cycle: u64,
    },
}

/// The result of one [`Driver::napi_poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollOutcome {
    /// RX completions processed.
    pub done: usize,
    /// The poll completed NAPI (done < budget) and either unmasked or
    /// rescheduled.
    pub completed: bool,
    /// After completing it found new work and rescheduled.
    pub rescheduled: bool,
}

/// The first DMA error the NIC reported (DMA_ERR_* registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaErrorRecord {
    /// DMA_ERR_ADDR_HI:LO.
    pub addr: u64,
    /// DMA_ERR_INFO.RESP.
    pub resp: u32,
    /// DMA_ERR_INFO.SOURCE.
    pub source: u32,
    /// STATUS at the time.
    pub status: u32,
}

impl<D: NicDevice> Driver<D> {
    /// The interrupt handler: if the line is asserted, mask every cause and
    /// schedule NAPI. Returns whether it was taken.
    pub fn handle_irq(&mut self) -> Result<bool, DriverError> {
        if self.open.is_none() || !self.dev.irq_asserted() {
            return Ok(false);
        }
        wr(&mut self.dev, regs::IRQ_MASK, IRQ_ALL)?;
        let st = rd(&mut self.dev, regs::IRQ_STATUS)?;
        if st & irq_status::DMA_ERR != 0 {
            self.record_dma_error()?;
        }
        self.stats.irqs += 1;
        let cycle = self.dev.cycle();
        self.napi_step(NapiEvent::Irq { cycle, status: st });
        tracing::trace!(cycle, dev = %self.cfg.name, status = st, "irq: masked, napi scheduled");
        self.napi_scheduled = true;
        Ok(true)
    }

    /// Records a step of the protocol and reports it to the device.
    fn napi_step(&mut self, ev: NapiEvent) {
        self.dev.napi_event(&ev);
        self.events.push(ev);
    }

    /// Reads the DMA_ERR_* registers; the first error since open is kept.
    fn record_dma_error(&mut self) -> Result<(), DriverError> {
        let lo_ = rd(&mut self.dev, regs::DMA_ERR_ADDR_LO)?;
        let hi_ = rd(&mut self.dev, regs::DMA_ERR_ADDR_HI)?;
        let info = rd(&mut self.dev, regs::DMA_ERR_INFO)?;
        let st = rd(&mut self.dev, regs::STATUS)?;
        let rec = DmaErrorRecord {
            addr: (u64::from(hi_) << 32) | u64::from(lo_),
            resp: (info & regs::dma_err_info::RESP) >> regs::dma_err_info::RESP_SHIFT,
            source: (info & regs::dma_err_info::SOURCE) >> regs::dma_err_info::SOURCE_SHIFT,
            status: st,
        };
        if self.dma_error.is_none() {
            tracing::error!(
                cycle = self.dev.cycle(),
                dev = %self.cfg.name,
                addr = format_args!("{:#x}", rec.addr),
                resp = rec.resp,
                source = rec.source,
                status = st,
                "NIC reported a DMA error; the failing queue stopped (SOFT_RESET recovers)"
            );
            self.dma_error = Some(rec);
        }
        self.stats.dma_errors += 1;
        Ok(())
    }

    /// One NAPI poll: TX completions, up to `budget` RX completions, refill
    /// with one doorbell, flush queued TX; when less than the budget was
    /// done: complete, acknowledge (W1C) and unmask, or reschedule if work
    /// arrived meanwhile.
    pub fn napi_poll(&mut self) -> Result<PollOutcome, DriverError> {
        if self.open.is_none() {
            return Err(DriverError::NotOpen { op: "napi_poll" });
        }
        let budget = self.cfg.budget;
        self.stats.napi_polls += 1;
        self.napi_step(NapiEvent::PollStart {
            cycle: self.dev.cycle(),
            budget,
        });
        self.tx_clean(true)?;
        let done = self.rx_clean(budget)?;
        self.refill()?;
        self.flush_tx_doorbell()?;
        let cycle = self.dev.cycle();
        self.napi_step(NapiEvent::Poll {
            cycle,
            done,
            budget,
        });
        if done >= budget {
            self.stats.napi_budget_exhausted += 1;
            tracing::trace!(cycle, dev = %self.cfg.name, done, "budget exhausted: stay scheduled");
            return Ok(PollOutcome {
                done,
                completed: false,
                rescheduled: false,
            });
        }
        // napi_complete_done
        self.napi_scheduled = false;
        self.stats.napi_complete += 1;
        self.napi_step(NapiEvent::Complete { cycle });
        let st = rd(&mut self.dev, regs::IRQ_STATUS)?;
        if st & irq_status::DMA_ERR != 0 {
            self.record_dma_error()?;
        }
        if st != 0 {
            wr(&mut self.dev, regs::IRQ_STATUS, st & IRQ_ALL)?;
        }
        if self.work_pending()? {
            self.napi_scheduled = true;
            self.stats.napi_repoll += 1;
            self.napi_step(NapiEvent::Repoll {
                cycle: self.dev.cycle(),
            });
            return Ok(PollOutcome {
                done,
                completed: true,
                rescheduled: true,
            });
        }
        wr(&mut self.dev, regs::IRQ_MASK, !IRQ_ALL & 0xf)?;
        self.napi_step(NapiEvent::Unmask {
            cycle: self.dev.cycle(),
        });
        Ok(PollOutcome {
            done,
            completed: true,
            rescheduled: false,
        })
    }

    /// Takes the interrupt if asserted, then runs polls while NAPI stays
    /// scheduled (at most `max_polls_per_service`). Returns the polls run.
    pub fn service(&mut self) -> Result<usize, DriverError> {
        if self.open.is_none() {
            return Ok(0);
        }
        if !self.napi_scheduled && !self.handle_irq()? {
            return Ok(0);
        }
        let mut polls = 0;
        while self.napi_scheduled && polls < self.cfg.max_polls_per_service {
            self.napi_poll()?;
            polls += 1;
        }
        Ok(polls)
    }

    /// Lets `cycles` pass in steps of `quantum`, servicing interrupts after
    /// every step.
    pub fn run_for(&mut self, cycles: u64, quantum: u64) -> Result<(), DriverError> {
        let quantum = quantum.max(1);
        let end = self.dev.cycle().saturating_add(cycles);
        while self.dev.cycle() < end {
            let step = quantum.min(end - self.dev.cycle());
            self.advance_checked(step)?;
            self.service()?;
        }
        Ok(())
    }

    /// Runs (as [`Self::run_for`]) until `done(self)` holds, for at most
    /// `max_cycles`. Returns whether it held.
    pub fn run_until(
        &mut self,
        max_cycles: u64,
        quantum: u64,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> Result<bool, DriverError> {
        let quantum = quantum.max(1);
        let end = self.dev.cycle().saturating_add(max_cycles);
        loop {
            if done(self) {
                return Ok(true);
            }
            if self.dev.cycle() >= end {
                return Ok(false);
            }
            self.advance_checked(quantum)?;
            self.service()?;
        }
    }

    /// Lets `cycles` pass, refusing a device whose clock does not move (so
    /// no wait of the driver can spin for ever).
    pub(super) fn advance_checked(&mut self, cycles: u64) -> Result<(), DriverError> {
        let before = self.dev.cycle();
        self.dev.advance(cycles)?;
        let cycle = self.dev.cycle();
        if cycles > 0 && cycle <= before {
            return Err(DriverError::ClockStuck {
                cycle,
                asked: cycles,
            });
        }
        Ok(())
    }
}
