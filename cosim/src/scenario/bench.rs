//! The bench a scenario runs on: host memory, the Verilated NIC on it, the
//! contract monitors over the NIC, the NAPI driver over them (probed, with
//! its XDP program, opened) and the stack above.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use checkers::Monitored;
use hostdriver::{Driver, RedirectTarget, SkBuff, XdpAction, XdpBuff};
use pool::{DmaDev, HostMemory, MemConfig, NapiCtx, PagePool, PagePoolParams};

use super::format::{Consume, MemMisbehave, Scenario, Verdict};
use super::options::{RunError, RunOptions};
use super::stack::Stack;
use crate::bus::{Backpressure, Misbehave};
use crate::{Chance, PoolStorage, Sim, SimConfig};

/// The driver over the monitored Verilated NIC on the pool's memory.
pub(super) type Drv = Driver<Monitored<Sim<PoolStorage>>>;

/// Everything a run clocks and inspects.
pub(super) struct Bench {
    /// The host memory (the pools' page frames).
    pub(super) mem: HostMemory,
    /// The NIC's DMA device (mappings, ledger, violations).
    pub(super) dma: DmaDev,
    /// The driver, owning the testbench.
    pub(super) drv: Drv,
    /// The stack, shared with the driver's NAPI handler.
    pub(super) stack: Rc<RefCell<Stack>>,
}

impl Bench {
    /// Builds the bench for `sc` and opens the interface.
    pub(super) fn build(sc: &Scenario, opts: &RunOptions<'_>) -> Result<Bench, RunError> {
        let mem = host_memory(sc)?;
        if opts.no_ownership {
            mem.set_ownership_checks(false);
        }
        let dma = pool::DmaDev::new(&mem, &sc.name);
        if opts.no_ledger {
            dma.set_ledger_enabled(false);
        }
        let mut sim = Sim::new(
            SimConfig {
                contract: !opts.no_contract,
                ..sim_config(sc, opts.two_evals)
            },
            PoolStorage::new(dma.clone()),
        )
        .map_err(RunError::Testbench)?;
        if let Some(w) = &opts.waves {
            // The caller writes the save file once the waveform has its
            // final name; the format follows the extension (FST, or VCD).
            let mut spec = crate::WaveSpec::new(&w.path);
            spec.window = w.window.clone();
            spec.save_file = false;
            sim.waves_spec(&spec).map_err(|source| RunError::Waves {
                path: w.path.clone(),
                source,
            })?;
        }
        let dev = Monitored::new(sim, opts.monitors);
        let mut drv: Drv = Driver::probe(dev, sc.driver_config()).map_err(RunError::Probe)?;
        if let Some(act) = xdp_action(sc.driver.verdict, &drv) {
            drv.set_xdp_prog(Some(Box::new(move |_: &mut XdpBuff| act)))
                .map_err(RunError::XdpProgram)?;
        }
        let stack = Rc::new(RefCell::new(Stack {
            hold: sc.stack.hold as usize,
            mem: Some(mem.clone()),
            echo: sc.stack.echo.then(VecDeque::new),
            ..Stack::default()
        }));
        if sc.stack.copy_pool_order > 0 {
            let pp = PagePool::create(PagePoolParams {
                order: sc.stack.copy_pool_order,
                ..PagePoolParams::new(&mem)
            })
            .map_err(RunError::CopyPool)?;
            stack.borrow_mut().copy_pool = Some(pp);
        }
        if sc.stack.consume == Consume::Napi {
            let st = stack.clone();
            drv.set_rx_handler(Some(Box::new(
                move |skb: SkBuff, napi: &mut NapiCtx<'_>| -> Option<SkBuff> {
                    st.borrow_mut().in_napi(skb, napi);
                    None
                },
            )));
        }
        drv.open().map_err(RunError::Open)?;
        if opts.pool_markers && opts.waves.is_some() {
            // Pool in-flight and a strobe per DMA sync, next to the RTL
            // signals.
            let pools = [drv.rx_pool(), drv.tx_pool()]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            crate::markers::PoolProbe::install(drv.dev_mut().inner_mut(), pools);
        }
        Ok(Bench {
            mem,
            dma,
            drv,
            stack,
        })
    }
}

/// The scenario's `[memory]` as host memory.
fn host_memory(sc: &Scenario) -> Result<HostMemory, RunError> {
    let m = &sc.memory;
    HostMemory::try_new(MemConfig {
        nodes: m.nodes,
        pages_per_node: m.pages_per_node as usize,
        platform: m.platform(),
        pfmemalloc_reserve: sc.faults.pfmemalloc_reserve as usize,
        ..MemConfig::default()
    })
    .map_err(RunError::Memory)
}

/// The testbench's configuration: the scenario's seed, NIC model and bus
/// timing.
fn sim_config(sc: &Scenario, two_evals: bool) -> SimConfig {
    let m = &sc.memory;
    let mut scfg = SimConfig {
        name: sc.name.clone(),
        seed: sc.traffic.seed,
        model: sc.model_config(),
        two_evals,
        ..SimConfig::default()
    };
    scfg.mem.read_latency = m.read_latency;
    scfg.mem.write_latency = m.write_latency;
    scfg.mem.backpressure = Backpressure::uniform(m.backpressure);
    scfg.mem.reorder_ids = m.reorder_ids;
    scfg.tx.stall = Chance::percent(m.tx_stall);
    scfg.mem.misbehave = match m.misbehave {
        MemMisbehave::None => None,
        MemMisbehave::ExtraRbeat => Some(Misbehave::ExtraRBeat),
    };
    scfg
}

/// The XDP program's one verdict (none: no program).
fn xdp_action(verdict: Verdict, drv: &Drv) -> Option<XdpAction> {
    match verdict {
        Verdict::None => None,
        Verdict::Pass => Some(XdpAction::Pass),
        Verdict::Drop => Some(XdpAction::Drop),
        Verdict::Tx => Some(XdpAction::Tx),
        Verdict::Redirect => Some(XdpAction::Redirect(RedirectTarget::Ifindex(
            drv.config().ifindex,
        ))),
        Verdict::Aborted => Some(XdpAction::Aborted),
    }
}
