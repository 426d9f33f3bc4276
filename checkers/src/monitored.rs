//! [`Monitored`]: any [`NicDevice`] with the monitors watching every call
//! the driver makes. Each call is forwarded unchanged (no extra register
//! access, no extra cycle); the monitors read the register writes, the
//! steps the driver reports and the rings in host memory.

use std::sync::Arc;

use hostdriver::{DevError, NapiEvent, NicDevice};
use nic_hw::regs::{self, irq_status, status};
use pool::{DmaDev, HostMemory, PoolRegistry};

use crate::barrier::BarrierAuditor;
use crate::config::MonitorConfig;
use crate::finding::{Checker, Violation};
use crate::napi::NapiChecker;
use crate::ring_audit::RingAuditor;
use crate::view::{doorbell_reg, Queue, RegChange, RingView};
use crate::watchdog::{Outstanding, QueueDump, Watchdog, WatchdogRule, WatchdogViolation};

/// A [`NicDevice`] under the contract monitors (ring auditor, NAPI
/// contract, watchdog). The driver runs over it as over the device itself.
pub struct Monitored<D: NicDevice> {
    inner: D,
    cfg: MonitorConfig,
    view: RingView,
    rings: RingAuditor,
    napi: NapiChecker,
    watchdog: Watchdog,
    stalls: Vec<WatchdogViolation>,
    barrier: Option<Arc<BarrierAuditor>>,
}

impl<D: NicDevice> std::fmt::Debug for Monitored<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitored")
            .field("cfg", &self.cfg)
            .field("view", &self.view)
            .field("findings", &self.count())
            .finish_non_exhaustive()
    }
}

impl<D: NicDevice> Monitored<D> {
    /// `inner` under the monitors of `cfg`. The barrier auditor becomes
    /// the CPU observer of `inner`'s host memory (replacing any other).
    pub fn new(inner: D, cfg: MonitorConfig) -> Self {
        let barrier = cfg.barrier.enabled.then(BarrierAuditor::new);
        if let Some(b) = &barrier {
            inner
                .host_mem()
                .set_cpu_observer(Some(b.clone() as Arc<dyn pool::CpuObserver>));
        }
        Monitored {
            barrier,
            inner,
            cfg,
            view: RingView::default(),
            rings: RingAuditor::default(),
            napi: NapiChecker::default(),
            watchdog: Watchdog::new(cfg.watchdog),
            stalls: Vec::new(),
        }
    }

    /// The device underneath (for what only it offers: its wire, its
    /// waveform). Calls made through it are not monitored.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The device underneath, mutably (see [`Self::inner`]).
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The monitors' configuration.
    pub fn config(&self) -> &MonitorConfig {
        &self.cfg
    }

    /// What the monitors know of the rings.
    pub fn rings(&self) -> &RingView {
        &self.view
    }

    /// Every finding of monitor `c`, oldest first.
    pub fn findings_of(&self, c: Checker) -> Vec<Violation> {
        match c {
            Checker::Ring => self
                .rings
                .violations()
                .iter()
                .cloned()
                .map(Violation::Ring)
                .collect(),
            Checker::Napi => self
                .napi
                .violations()
                .iter()
                .cloned()
                .map(Violation::Napi)
                .collect(),
            Checker::Barrier => self.barrier.as_ref().map_or_else(Vec::new, |b| {
                b.violations().into_iter().map(Violation::Barrier).collect()
            }),
            Checker::Watchdog => self
                .stalls
                .iter()
                .cloned()
                .map(Violation::Watchdog)
                .collect(),
        }
    }

    /// Every finding, monitor by monitor.
    pub fn findings(&self) -> Vec<Violation> {
        Checker::ALL
            .iter()
            .flat_map(|c| self.findings_of(*c))
            .collect()
    }

    /// How many findings there are.
    pub fn count(&self) -> usize {
        self.rings.violations().len()
            + self.napi.violations().len()
            + self.barrier.as_ref().map_or(0, |b| b.violations().len())
            + self.stalls.len()
    }

    /// Tells the barrier auditor where the rings are.
    fn share_rings(&self) {
        if let Some(b) = &self.barrier {
            for q in [Queue::Rx, Queue::Tx] {
                let v = self.view.queue(q);
                b.set_completion_ring(q, v.cq_host, v.size);
                b.set_descriptor_ring(q, v.desc_host, v.size);
            }
        }
    }

    /// New completions in memory: the auditor checks them, they are
    /// progress.
    fn scan(&mut self) {
        let cycle = self.inner.cycle();
        for q in [Queue::Rx, Queue::Tx] {
            let mem = self.inner.host_mem();
            let v = self.view.queue_mut(q);
            let new = v.scan_completions(mem, cycle);
            if new.is_empty() {
                continue;
            }
            self.watchdog.progress(cycle);
            if self.cfg.ring.enabled {
                self.rings.completed(self.view.queue(q), new, cycle);
            }
        }
    }

    /// A doorbell of `q` with `value`, before it reaches the device: the
    /// producer index it names (the view moves once the device took it).
    fn doorbell(&mut self, q: Queue, value: u32) -> Option<(Queue, u64)> {
        let cycle = self.inner.cycle();
        self.view.resolve_if_needed(q, self.inner.dma_dev());
        self.share_rings();
        if let Some(b) = &self.barrier {
            let name = regs::name_of(doorbell_reg(q)).unwrap_or("doorbell");
            b.doorbell(q, name, cycle);
        }
        let v = self.view.queue(q);
        let new_prod = v.widen_prod(value);
        if self.cfg.ring.enabled {
            let range = v.prod..new_prod.max(v.prod);
            let written = self.barrier.as_ref().and_then(|b| {
                b.take_written(
                    q,
                    range.clone().take(usize::from(v.size)).map(|i| v.slot(i)),
                )
            });
            self.rings.doorbell(
                v,
                new_prod,
                self.inner.host_mem(),
                cycle,
                written.as_deref(),
            );
        }
        Some((q, new_prod))
    }

    /// A register write, before it reaches the device; for a doorbell, the
    /// producer index to take once the device accepted it.
    fn observe_write(&mut self, reg: u32, value: u32) -> Option<(Queue, u64)> {
        self.scan();
        let cycle = self.inner.cycle();
        self.watchdog.progress(cycle);
        match reg {
            regs::RX_PROD => return self.doorbell(Queue::Rx, value),
            regs::TX_PROD => return self.doorbell(Queue::Tx, value),
            regs::IRQ_MASK if self.cfg.napi.enabled => {
                self.napi.on_mask_write(value, &self.view, cycle);
                return None;
            }
            regs::IRQ_STATUS if self.cfg.napi.enabled => {
                self.napi.on_status_ack(value, cycle);
                return None;
            }
            _ => {}
        }
        let stops = value & (regs::ctrl::ENABLE | regs::ctrl::SOFT_RESET) == 0;
        if reg == regs::CTRL && stops && self.cfg.ring.enabled {
            // The interface goes down: nothing may be left written and not
            // doorbelled. (Not at a SOFT_RESET write: the rings of the last
            // close are freed by then, their memory maybe reused.)
            let mem = self.inner.host_mem();
            self.rings.audit_memory(&self.view.rx, mem, cycle);
            self.rings.audit_memory(&self.view.tx, mem, cycle);
        }
        match self.view.on_write(reg, value, self.inner.dma_dev()) {
            RegChange::RingProgrammed(q) => {
                self.rings
                    .ring_programmed(self.view.queue(q), self.inner.host_mem());
                if q == Queue::Rx {
                    self.napi.rx_ring_restarted();
                }
                self.share_rings();
            }
            RegChange::Reset => {
                self.rings.reset();
                self.napi.reset();
                self.share_rings();
            }
            RegChange::Disabled | RegChange::Other => {}
        }
        None
    }

    /// A register read's value: a reported DMA error or stopped queue
    /// means its descriptors will not complete.
    fn observe_read(&mut self, reg: u32, value: u32) {
        let stopped = match reg {
            regs::IRQ_STATUS if value & irq_status::DMA_ERR != 0 => (true, true),
            regs::STATUS => (
                value & status::RX_STOPPED != 0,
                value & status::TX_STOPPED != 0,
            ),
            _ => return,
        };
        self.view.rx.stopped |= stopped.0;
        self.view.tx.stopped |= stopped.1;
    }

    /// The watchdog's finding as the error the driver gets.
    fn stall(&mut self, (rule, limit, last_progress): (WatchdogRule, u64, u64)) -> DevError {
        let consumed = [self.napi.rx_consumed(&self.view), self.view.tx.completed];
        let queues = [Queue::Rx, Queue::Tx]
            .into_iter()
            .zip(consumed)
            .map(|(q, consumed)| {
                let v = self.view.queue(q);
                QueueDump {
                    queue: q,
                    size: v.size,
                    prod: v.prod,
                    completed: v.completed,
                    consumed,
                    stopped: v.stopped,
                    posted: self.rings.posted(q),
                }
            })
            .collect();
        let found = WatchdogViolation {
            rule,
            cycle: self.inner.cycle(),
            limit,
            last_progress,
            queues,
            pools: PoolRegistry::of(self.inner.host_mem()).netdev_nl_page_pool_get_dumpit(),
        };
        self.stalls.push(found.clone());
        DevError::Watchdog(Arc::new(found))
    }
}

impl<D: NicDevice> NicDevice for Monitored<D> {
    fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError> {
        let v = self.inner.mmio_read(reg)?;
        self.observe_read(reg, v);
        Ok(v)
    }

    fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError> {
        // The monitors read the rings with `HostMemory::peek`, which no
        // CPU observer (the barrier auditor) sees.
        let doorbell = self.observe_write(reg, value);
        self.inner.mmio_write(reg, value)?;
        if let Some((q, prod)) = doorbell {
            self.view.queue_mut(q).prod = prod;
        }
        Ok(())
    }

    fn irq_asserted(&self) -> bool {
        self.inner.irq_asserted()
    }

    fn advance(&mut self, cycles: u64) -> Result<(), DevError> {
        if let Some(rule) = self.watchdog.before_advance(self.inner.cycle(), cycles) {
            return Err(self.stall(rule));
        }
        self.inner.advance(cycles)?;
        self.scan();
        let work = Outstanding::of(
            &self.view.rx,
            &self.view.tx,
            self.napi.rx_pending(&self.view),
        );
        match self.watchdog.after_advance(self.inner.cycle(), work) {
            Some(rule) => Err(self.stall(rule)),
            None => Ok(()),
        }
    }

    fn cycle(&self) -> u64 {
        self.inner.cycle()
    }

    fn napi_event(&mut self, ev: &NapiEvent) {
        self.observe_event(ev);
        self.inner.napi_event(ev);
    }

    fn dma_dev(&self) -> &DmaDev {
        self.inner.dma_dev()
    }

    fn host_mem(&self) -> &HostMemory {
        self.inner.host_mem()
    }
}

impl<D: NicDevice> Monitored<D> {
    /// A step the driver reported.
    fn observe_event(&mut self, ev: &NapiEvent) {
        self.scan();
        if self.cfg.napi.enabled {
            self.napi.on_event(ev, &self.view);
        }
        if matches!(ev, NapiEvent::Poll { .. }) && self.cfg.ring.enabled {
            let cycle = self.inner.cycle();
            let mem = self.inner.host_mem();
            self.rings.audit_memory(&self.view.rx, mem, cycle);
            self.rings.audit_memory(&self.view.tx, mem, cycle);
        }
    }
}

impl<D: NicDevice> Drop for Monitored<D> {
    fn drop(&mut self) {
        if self.barrier.is_some() {
            self.inner.host_mem().set_cpu_observer(None);
        }
    }
}
