//! The testbench: the Verilated NIC plus every bus model, clocked together.
//!
//! The core is [`Sim::step`]: drive, eval, sample, update. Around it, as
//! layers beside the model that the step consults with one comparison
//! each: the waveform window ([`waveform`]) and the driver-marker inputs
//! ([`driver_markers`]); the wire capture ([`capture`]), fed once per
//! frame completed at the RX source or the TX sink while it is on; and the
//! contract monitor ([`crate::contract`]), fed the handshakes, register
//! accesses, frames and the interrupt line (on unless
//! [`SimConfig::contract`] is off). Imports
//! point from here to the layers, the bus models and the bridge;
//! [`crate::replay`] and [`crate::markers`] build on this module.

mod capture;
mod driver_markers;
mod error;
mod ports;
mod waveform;

use std::cell::Cell;
use std::ops::Range;
use std::path::Path;

pub use capture::{WireCapture, WireDir, WireFrame};
pub use driver_markers::{DriverMarkers, MarkerProbe};
pub use error::SimError;
pub use waveform::{WaveFormat, WaveSpec};

use crate::bridge::Model;
use crate::bus::{
    AxiMem, AxiMemConfig, AxiSlaveSignals, AxilError, AxilMaster, AxisSink, AxisSinkConfig,
    AxisSource, AxisSourceConfig, DmaStorage, IrqMonitor, RxFrame,
};
use crate::contract::ContractMonitor;
use crate::rng::SplitMix64;
use crate::variant::ModelConfig;
use driver_markers::MarkerInputs;
use ports::{drive, sample, NicInputs, NicOutputs};
use waveform::WaveWindow;

/// Configuration of a [`Sim`]. The per-model seeds are derived from `seed`
/// and the data widths from `model` (the ones inside `mem`, `rx` and `tx`
/// are overwritten).
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Instance name (messages, waveforms).
    pub name: String,
    /// Which verilated build of the NIC to run.
    pub model: ModelConfig,
    pub seed: u64,
    pub mem: AxiMemConfig,
    /// The frame source on the NIC's RX input.
    pub rx: AxisSourceConfig,
    /// The sink on the NIC's TX output.
    pub tx: AxisSinkConfig,
    /// Cycles `rst_ni` is held low at construction.
    pub reset_cycles: u64,
    /// Cycles a register access may take before [`AxilError::Timeout`].
    pub axil_timeout: u64,
    /// Clock a model without assertions with two evals per cycle (clk low,
    /// clk high) like the models with assertions, instead of one. Same
    /// results cycle for cycle (a test compares the hashes of whole runs);
    /// for debugging and comparisons.
    pub two_evals: bool,
    /// With two evals per cycle, check every cycle that no NIC output
    /// changed with the inputs before the edge ([`SimError::CombPath`]). It
    /// costs one more read of the outputs per cycle; off, the loop matches a
    /// plain C++ Verilator loop (benchmarks).
    pub check_registered_outputs: bool,
    /// Run the contract monitor and the scoreboard ([`ContractMonitor`]).
    /// They only observe; off, the run is the same minus their checks.
    pub contract: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            name: "TOP".into(),
            model: ModelConfig::default(),
            seed: 1,
            mem: AxiMemConfig::default(),
            rx: AxisSourceConfig::default(),
            tx: AxisSinkConfig::default(),
            reset_cycles: 8,
            axil_timeout: 1000,
            two_evals: false,
            check_registered_outputs: true,
            contract: true,
        }
    }
}

/// The NIC testbench: the model, the host memory (AXI4 slave over `S`), the
/// register master, the RX frame source, the TX frame sink and the
/// interrupt observer, all advanced by [`Sim::step`].
pub struct Sim<S: DmaStorage> {
    model: Model,
    cycle: u64,
    rst_n: bool,
    mem: AxiMem<S>,
    axil: AxilMaster,
    rx: AxisSource,
    tx: AxisSink,
    irq: IrqMonitor,
    axil_timeout: u64,
    seed: u64,
    /// The waveform layer.
    waves: WaveWindow,
    halted: Option<SimError>,
    /// The driver-marker layer.
    markers: MarkerInputs,
    /// The wire-capture layer (`None`: off).
    capture: Option<WireCapture>,
    /// The contract monitor (`None`: off).
    contract: Option<Box<ContractMonitor>>,
    /// Clock each cycle with one eval (models without assertions).
    single_eval: bool,
    /// The outputs right after the last clock edge (two-eval scheme).
    after_edge: Option<NicOutputs>,
    /// Check the registered-outputs contract (two-eval scheme).
    check_outputs: bool,
}

impl<S: DmaStorage> Sim<S> {
    /// Builds the testbench over `storage` and holds the NIC in reset for
    /// `cfg.reset_cycles`.
    pub fn new(mut cfg: SimConfig, storage: S) -> Result<Self, SimError> {
        let mut rng = SplitMix64::new(cfg.seed);
        cfg.mem.seed = rng.fork(1).next_u64();
        cfg.rx.seed = rng.fork(2).next_u64();
        cfg.tx.seed = rng.fork(3).next_u64();
        // Assertions need the clk-low eval: Verilator 5.006 takes the values
        // a concurrent assertion samples at the edge from the eval before it.
        let info = cfg.model.info()?;
        let single_eval = !cfg.model.assertions && info.registered_outputs() && !cfg.two_evals;
        if !info.registered_outputs() {
            tracing::warn!(
                model = %cfg.model,
                outputs = ?info.comb_outputs,
                "cosim: NIC outputs depend combinationally on inputs: two evals per cycle"
            );
        }
        let bytes = cfg.model.data_bytes();
        cfg.mem.data_bytes = bytes;
        cfg.rx.data_bytes = bytes;
        cfg.tx.data_bytes = bytes;
        tracing::info!(seed = cfg.seed, name = %cfg.name, model = %cfg.model, "cosim: new NIC testbench");
        let mut model = Model::new(&cfg.name, cfg.model)?;
        let markers = MarkerInputs::new(model.ports_mut());
        let mut sim = Sim {
            model,
            cycle: 0,
            rst_n: false,
            mem: AxiMem::new(cfg.mem, storage)?,
            axil: AxilMaster::new(),
            rx: AxisSource::new(cfg.rx)?,
            tx: AxisSink::new(cfg.tx)?,
            irq: IrqMonitor::new(),
            axil_timeout: cfg.axil_timeout,
            seed: cfg.seed,
            waves: WaveWindow::new(),
            halted: None,
            markers,
            capture: None,
            contract: cfg.contract.then(|| Box::new(ContractMonitor::new(bytes))),
            single_eval,
            after_edge: None,
            check_outputs: !single_eval
                && info.registered_outputs()
                && cfg.check_registered_outputs,
        };
        sim.step_n(cfg.reset_cycles)?;
        sim.rst_n = true;
        Ok(sim)
    }

    /// The seed every random choice came from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Cycles simulated so far (reset included).
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// One clock cycle: drive the models' outputs onto the NIC's inputs,
    /// sample the NIC's outputs, clock the NIC, advance the models from the
    /// sampled handshakes.
    ///
    /// Models with assertions take two evals: clk low (the new inputs settle
    /// through the NIC's combinational logic, and the values the assertions
    /// sample at the edge are taken), sample the outputs, clk high. They also
    /// check every cycle that the outputs after clk low equal those after
    /// the previous clk high: the NIC's contract that no output depends
    /// combinationally on an input, which `cosim/build.rs` also verifies in
    /// the generated C++. That contract lets the models without assertions
    /// sample the outputs of the previous edge and clock a whole cycle with
    /// one eval ([`Model::cycle`]): same cycles, same transactions, about a
    /// third less work per cycle.
    #[inline]
    pub fn step(&mut self) -> Result<(), SimError> {
        if let Some(e) = &self.halted {
            return Err(e.clone());
        }
        if self.waves.due(self.cycle) {
            self.wave_tick()?;
        }
        if self.markers.strobe_due(self.cycle) {
            self.markers
                .lower_strobe(self.model.ports_mut(), self.cycle);
        }
        let cycle = self.cycle;
        let slave = self.drive_inputs(cycle);
        let o = if self.single_eval {
            let o = self.sample();
            self.eval_cycle()?;
            o
        } else {
            self.model.ports_mut().set_clk_i(false);
            self.eval()?;
            let o = self.sample();
            if let Some(prev) = self.after_edge.take() {
                if prev != o {
                    return Err(self.halt(SimError::CombPath {
                        cycle,
                        outputs: prev.changed(&o).join(", "),
                    }));
                }
            }
            self.model.ports_mut().set_clk_i(true);
            self.eval()?;
            if self.check_outputs {
                self.after_edge = Some(self.sample());
            }
            o
        };
        if let Err(e) = self.mem.update(&o.m) {
            return Err(self.halt(SimError::Axi(e)));
        }
        if let Some(c) = &mut self.contract {
            c.axi(cycle, &o.m, &slave);
        }
        if let Some(ev) = self.axil.update(&o.l) {
            if let Some(c) = &mut self.contract {
                c.register(cycle, ev);
            }
        }
        if let Some(frame) = self.rx.update(o.rx_ready) {
            if let Some(c) = &mut self.contract {
                c.rx_frame_in(cycle, &frame);
            }
            if let Some(c) = &mut self.capture {
                c.frame_in(cycle, frame);
            }
        }
        match self.tx.update(&o.txb, cycle) {
            Ok(None) => {}
            Ok(Some(frame)) => {
                if let Some(c) = &mut self.contract {
                    c.tx_frame_out(cycle, &frame.data);
                }
                if let Some(c) = &mut self.capture {
                    c.frame_out(frame);
                }
            }
            Err(e) => return Err(self.halt(SimError::Stream(e))),
        }
        self.irq.update(o.irq, cycle);
        if let Some(c) = &mut self.contract {
            c.on_cycle(cycle, o.irq);
        }
        self.cycle = cycle + 1;
        self.mem.on_cycle(self.cycle);
        Ok(())
    }

    /// Every model drives its signals onto the NIC's inputs (`clk_i` aside);
    /// returns the memory slave's, for the contract monitor.
    #[inline(always)]
    fn drive_inputs(&mut self, cycle: u64) -> AxiSlaveSignals {
        let inputs = NicInputs {
            rst_n: self.rst_n,
            mem: self.mem.drive(cycle),
            axil: self.axil.drive(),
            rx: self.rx.drive(),
            tx_ready: self.tx.drive(),
        };
        drive(self.model.ports_mut(), &inputs);
        inputs.mem
    }

    /// The NIC's outputs as the models see them before the edge.
    #[inline(always)]
    fn sample(&self) -> NicOutputs {
        sample(self.model.ports())
    }

    #[inline]
    fn eval_cycle(&mut self) -> Result<(), SimError> {
        let rep = self.model.cycle();
        self.check(rep)
    }

    #[inline]
    fn eval(&mut self) -> Result<(), SimError> {
        let rep = self.model.eval();
        self.check(rep)
    }

    #[inline(always)]
    fn check(&mut self, rep: Option<crate::bridge::EvalReport>) -> Result<(), SimError> {
        match rep {
            None => Ok(()),
            Some(rep) => self.report(rep),
        }
    }

    #[cold]
    fn report(&mut self, rep: crate::bridge::EvalReport) -> Result<(), SimError> {
        let cycle = self.cycle;
        if let Some(out) = rep.output {
            for line in out.lines().filter(|l| !l.trim().is_empty()) {
                tracing::info!(target: "cosim::rtl", cycle, "{line}");
            }
        }
        if let Some(stop) = rep.stops.into_iter().next() {
            tracing::error!(target: "cosim::rtl", cycle, "{stop}");
            return Err(self.halt(SimError::Rtl { cycle, stop }));
        }
        Ok(())
    }

    /// The error that stopped the simulation, if one did: every later step
    /// returns it again.
    pub fn halted(&self) -> Option<&SimError> {
        self.halted.as_ref()
    }

    fn check_halted(&self) -> Result<(), SimError> {
        match &self.halted {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn halt(&mut self, e: SimError) -> SimError {
        tracing::debug!(cycle = self.cycle, "cosim: halted: {e}");
        self.waves_close();
        self.halted = Some(e.clone());
        e
    }

    /// Steps `n` cycles.
    pub fn step_n(&mut self, n: u64) -> Result<(), SimError> {
        self.markers.probe_if_tracing(&mut self.model, self.cycle);
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }

    /// Steps until `cond` holds (checked before every cycle); returns the
    /// cycles stepped. Fails with [`SimError::Timeout`] after `max_cycles`.
    pub fn run_until(
        &mut self,
        what: &str,
        max_cycles: u64,
        mut cond: impl FnMut(&Self) -> bool,
    ) -> Result<u64, SimError> {
        for n in 0..=max_cycles {
            if cond(self) {
                return Ok(n);
            }
            if n < max_cycles {
                self.step()?;
            }
        }
        Err(SimError::Timeout {
            cycle: self.cycle,
            what: what.to_string(),
            waited: max_cycles,
        })
    }

    // ---- registers ----------------------------------------------------------

    fn axil_wait(&mut self) -> Result<u32, SimError> {
        let timeout = self.axil_timeout;
        for _ in 0..timeout {
            self.step()?;
            if let Some(r) = self.axil.take_result() {
                return r.map_err(|source| SimError::Axil {
                    cycle: self.cycle,
                    source,
                });
            }
        }
        Err(self.axil_timeout_error())
    }

    #[cold]
    fn axil_timeout_error(&mut self) -> SimError {
        let e = match self.axil.current() {
            Some((reg, op)) => AxilError::Timeout {
                reg,
                op,
                cycles: self.axil_timeout,
            },
            None => AxilError::BadOffset(u32::MAX),
        };
        self.axil.abort();
        SimError::Axil {
            cycle: self.cycle,
            source: e,
        }
    }

    /// Reads the register at byte offset `reg` (see `nic_hw::regs`),
    /// clocking the model until the response.
    pub fn read_reg(&mut self, reg: u32) -> Result<u32, SimError> {
        self.check_halted()?;
        self.markers.probe_if_tracing(&mut self.model, self.cycle);
        self.axil.start_read(reg).map_err(|source| SimError::Axil {
            cycle: self.cycle,
            source,
        })?;
        self.axil_wait()
    }

    /// Writes `value` to the register at byte offset `reg`.
    pub fn write_reg(&mut self, reg: u32, value: u32) -> Result<(), SimError> {
        self.check_halted()?;
        self.markers.probe_if_tracing(&mut self.model, self.cycle);
        self.markers
            .note_register_write(self.model.ports_mut(), reg, value, self.cycle);
        self.axil
            .start_write(reg, value)
            .map_err(|source| SimError::Axil {
                cycle: self.cycle,
                source,
            })?;
        self.axil_wait().map(|_| ())
    }

    // ---- models -------------------------------------------------------------

    pub fn mem(&self) -> &AxiMem<S> {
        &self.mem
    }
    pub fn mem_mut(&mut self) -> &mut AxiMem<S> {
        &mut self.mem
    }
    /// The storage behind the memory model.
    pub fn storage(&self) -> &S {
        self.mem.storage()
    }
    pub fn storage_mut(&mut self) -> &mut S {
        self.mem.storage_mut()
    }
    pub fn axil_mut(&mut self) -> &mut AxilMaster {
        &mut self.axil
    }
    /// The RX frame source.
    pub fn rx(&self) -> &AxisSource {
        &self.rx
    }
    pub fn rx_mut(&mut self) -> &mut AxisSource {
        &mut self.rx
    }
    /// Queues a frame on the NIC's RX input.
    pub fn send_frame(&mut self, frame: Vec<u8>) -> Result<(), SimError> {
        self.rx.push(frame).map_err(SimError::Stream)
    }
    /// The TX frame sink.
    pub fn tx(&self) -> &AxisSink {
        &self.tx
    }
    pub fn tx_mut(&mut self) -> &mut AxisSink {
        &mut self.tx
    }
    /// Takes every frame the NIC sent so far.
    pub fn take_tx_frames(&mut self) -> Vec<RxFrame> {
        self.tx.take_all()
    }
    /// Records every frame on the wire from now on, both ways, with its
    /// cycle (see [`WireCapture`]); frames already recorded are kept.
    pub fn capture_wire(&mut self) {
        self.capture.get_or_insert_with(WireCapture::new);
    }
    /// The wire capture, if it is on.
    pub fn wire_capture(&self) -> Option<&WireCapture> {
        self.capture.as_ref()
    }
    /// Switches the wire capture off and returns what it recorded.
    pub fn take_wire_capture(&mut self) -> Option<WireCapture> {
        self.capture.take()
    }
    pub fn irq(&self) -> &IrqMonitor {
        &self.irq
    }
    /// The Verilated model (ports, time).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Sets the `drv_*` marker inputs shown in waveforms. A raised
    /// `sync_strobe` is lowered again after one cycle.
    pub fn set_markers(&mut self, m: &DriverMarkers) {
        self.markers.set(self.model.ports_mut(), m, self.cycle);
    }

    /// Holds the NIC in reset (`false`) or releases it.
    pub fn set_reset(&mut self, rst_n: bool) {
        self.rst_n = rst_n;
        if !rst_n {
            if let Some(c) = &mut self.contract {
                c.hard_reset();
            }
        }
    }

    /// The contract monitor and scoreboard, if on.
    pub fn contract(&self) -> Option<&ContractMonitor> {
        self.contract.as_deref()
    }

    /// Ends the contract monitor's run (see [`ContractMonitor::finish`])
    /// and returns it, if on.
    pub fn finish_contract(&mut self) -> Option<&ContractMonitor> {
        let cycle = self.cycle;
        let c = self.contract.as_deref_mut()?;
        c.finish(cycle);
        Some(c)
    }

    /// The driver-side markers as last set.
    pub fn markers(&self) -> &DriverMarkers {
        self.markers.current()
    }

    /// Installs (or removes) the probe that updates the driver markers
    /// while a waveform is open; see [`crate::markers::PoolProbe`].
    pub fn set_marker_probe(&mut self, probe: Option<MarkerProbe>) {
        self.markers.set_probe(probe);
    }

    // ---- waveforms ----------------------------------------------------------

    /// Dumps a waveform to `path` (FST; VCD if the path ends in `.vcd`) for
    /// the cycles in `window` (the file opens at `window.start`, or now if
    /// that has passed, and closes at `window.end`). `None`: from now until
    /// [`Sim::waves_close`]. A GTKWave save file is written next to it when
    /// it closes.
    pub fn waves(
        &mut self,
        path: impl AsRef<Path>,
        window: Option<Range<u64>>,
    ) -> Result<(), SimError> {
        let mut spec = WaveSpec::new(path.as_ref());
        spec.window = window;
        self.waves_spec(&spec)
    }

    /// Dumps a waveform as `spec` says (format, window, a marker cycle in
    /// the save file).
    pub fn waves_spec(&mut self, spec: &WaveSpec) -> Result<(), SimError> {
        self.waves.arm(&mut self.model, spec, self.cycle)
    }

    /// Closes the waveform file now (if open), writes its save file (and
    /// the VCD copy if VCD was asked for) and cancels any window.
    pub fn waves_close(&mut self) {
        self.waves.close(&mut self.model);
    }

    /// The window opens (then the marker probe runs, so the file starts
    /// with the driver's state) or closes.
    #[cold]
    fn wave_tick(&mut self) -> Result<(), SimError> {
        if self.waves.tick(&mut self.model, self.cycle)? {
            self.markers.run_probe(self.model.ports_mut(), self.cycle);
        }
        Ok(())
    }
}

thread_local! {
    static LAST_DROPPED_CYCLE: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The cycle the last [`Sim`] dropped on this thread had reached, taken
/// (None if no testbench was dropped since the last call). [`crate::replay`]
/// uses it as the failure cycle of a test that panicked.
pub(crate) fn take_last_dropped_cycle() -> Option<u64> {
    LAST_DROPPED_CYCLE.with(|c| c.take())
}

impl<S: DmaStorage> Drop for Sim<S> {
    /// Finishes an open waveform (save file, VCD copy) and records the
    /// cycle reached for [`crate::replay`] (the failure cycle of a test that
    /// panicked with this testbench alive).
    fn drop(&mut self) {
        LAST_DROPPED_CYCLE.with(|c| c.set(Some(self.cycle)));
        self.waves_close();
    }
}

impl<S: DmaStorage> std::fmt::Debug for Sim<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("cycle", &self.cycle)
            .field("seed", &self.seed)
            .field("mem", &self.mem)
            .finish_non_exhaustive()
    }
}
