//! The testbench: the Verilated NIC plus every bus model, clocked together.

use std::ops::Range;
use std::path::Path;

use crate::bridge::{Model, RtlStop, RtlStopKind};
use crate::bus::{
    AddrBeat, AxiError, AxiMasterSignals, AxiMem, AxiMemConfig, AxilError, AxilMaster,
    AxilSlaveSignals, AxisBeat, AxisError, AxisSink, AxisSinkConfig, AxisSource, AxisSourceConfig,
    DmaStorage, IrqMonitor, RxFrame, WBeat,
};
use crate::rng::SplitMix64;
use crate::variant::{ModelConfig, UnknownModel};

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
        }
    }
}

/// Why a simulation step or a testbench operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("cycle {cycle}: RTL {stop}")]
    Rtl { cycle: u64, stop: RtlStop },
    #[error("AXI memory model: {0}")]
    Axi(#[from] AxiError),
    #[error("AXI-Stream: {0}")]
    Stream(#[from] AxisError),
    #[error("cycle {cycle}: register access: {source}")]
    Axil { cycle: u64, source: AxilError },
    #[error("cycle {cycle}: timed out after {waited} cycles waiting for {what}")]
    Timeout {
        cycle: u64,
        what: String,
        waited: u64,
    },
    #[error("waveform: {0}")]
    Wave(String),
    #[error("{0}")]
    Model(#[from] UnknownModel),
    #[error("cycle {cycle}: NIC output(s) {outputs} changed with the inputs before the clock edge: the RTL has a combinational path from an input to an output, which the single-eval models (assertions off) cannot simulate")]
    CombPath { cycle: u64, outputs: String },
}

impl SimError {
    /// The RTL stop (assertion, `$fatal`, ...) behind this error, if any.
    pub fn rtl_stop(&self) -> Option<&RtlStop> {
        match self {
            SimError::Rtl { stop, .. } => Some(stop),
            _ => None,
        }
    }
    pub fn is_assertion(&self) -> bool {
        self.rtl_stop()
            .is_some_and(|s| s.kind == RtlStopKind::Assertion)
    }
}

/// Everything the NIC drives that a model samples, in one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NicOutputs {
    m: AxiMasterSignals,
    l: AxilSlaveSignals,
    txb: AxisBeat,
    rx_ready: bool,
    irq: bool,
}

impl NicOutputs {
    /// The port groups that differ.
    fn changed(&self, o: &NicOutputs) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut diff = |c: bool, name: &'static str| {
            if c {
                v.push(name);
            }
        };
        diff(self.m.aw != o.m.aw, "m_axi_aw*");
        diff(self.m.w != o.m.w, "m_axi_w*");
        diff(self.m.bready != o.m.bready, "m_axi_bready_o");
        diff(self.m.ar != o.m.ar, "m_axi_ar*");
        diff(self.m.rready != o.m.rready, "m_axi_rready_o");
        diff(self.l != o.l, "s_axil_*");
        diff(self.txb != o.txb, "m_axis_tx_*");
        diff(self.rx_ready != o.rx_ready, "s_axis_rx_tready_o");
        diff(self.irq != o.irq, "irq_o");
        v
    }
}

/// Values of the `drv_*` marker inputs: ignored by the NIC, shown in
/// waveforms next to the hardware.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverMarkers {
    pub napi_active: bool,
    pub pool_inflight: u32,
    pub rx_doorbell: u16,
    pub tx_doorbell: u16,
    pub sync_dir: u8,
    pub sync_len: u16,
    pub sync_strobe: bool,
}

/// A marker probe: called while a waveform is open, whenever the
/// testbench is entered from outside (register access, `step_n`), to update
/// the driver-side markers (see [`crate::markers`]).
pub type MarkerProbe = Box<dyn FnMut(&mut DriverMarkers) + Send>;

#[derive(Debug)]
struct Waves {
    spec: crate::replay::WaveSpec,
    window: Range<u64>,
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
    waves: Option<Waves>,
    /// `cycle` at which the waveform window opens or closes; u64::MAX if none.
    wave_event: u64,
    halted: Option<SimError>,
    markers: DriverMarkers,
    marker_probe: Option<MarkerProbe>,
    /// The cycle at whose start a raised sync strobe marker is lowered
    /// (u64::MAX: not raised).
    strobe_until: u64,
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
        let mut sim = Sim {
            model: Model::new(&cfg.name, cfg.model)?,
            cycle: 0,
            rst_n: false,
            mem: AxiMem::new(cfg.mem, storage)?,
            axil: AxilMaster::new(),
            rx: AxisSource::new(cfg.rx)?,
            tx: AxisSink::new(cfg.tx)?,
            irq: IrqMonitor::new(),
            axil_timeout: cfg.axil_timeout,
            seed: cfg.seed,
            waves: None,
            wave_event: u64::MAX,
            halted: None,
            markers: DriverMarkers::default(),
            marker_probe: None,
            strobe_until: u64::MAX,
            single_eval,
            after_edge: None,
            check_outputs: !single_eval
                && info.registered_outputs()
                && cfg.check_registered_outputs,
        };
        sim.set_markers(&DriverMarkers::default());
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
        if self.cycle >= self.wave_event {
            self.wave_tick()?;
        }
        if self.cycle >= self.strobe_until {
            self.lower_strobe();
        }
        let cycle = self.cycle;
        self.drive_inputs(cycle);
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
        self.axil.update(&o.l);
        self.rx.update(o.rx_ready);
        if let Err(e) = self.tx.update(&o.txb, cycle) {
            return Err(self.halt(SimError::Stream(e)));
        }
        self.irq.update(o.irq, cycle);
        self.cycle = cycle + 1;
        self.mem.on_cycle(self.cycle);
        Ok(())
    }

    /// Every model drives its signals onto the NIC's inputs (`clk_i` aside).
    #[inline(always)]
    fn drive_inputs(&mut self, cycle: u64) {
        let mo = self.mem.drive(cycle);
        let lo = self.axil.drive();
        let so = self.rx.drive();
        let tready = self.tx.drive();
        let p = self.model.ports_mut();
        p.set_rst_ni(self.rst_n);
        p.set_m_axi_awready_i(mo.awready);
        p.set_m_axi_wready_i(mo.wready);
        p.set_m_axi_arready_i(mo.arready);
        p.set_m_axi_bvalid_i(mo.b.valid);
        p.set_m_axi_bid_i_bits(u128::from(mo.b.id));
        p.set_m_axi_bresp_i(mo.b.resp.bits());
        p.set_m_axi_rvalid_i(mo.r.valid);
        p.set_m_axi_rid_i_bits(u128::from(mo.r.id));
        p.set_m_axi_rdata_i_bits(mo.r.data);
        p.set_m_axi_rresp_i(mo.r.resp.bits());
        p.set_m_axi_rlast_i(mo.r.last);
        p.set_s_axil_awvalid_i(lo.awvalid);
        p.set_s_axil_awaddr_i(lo.awaddr);
        p.set_s_axil_wvalid_i(lo.wvalid);
        p.set_s_axil_wdata_i(lo.wdata);
        p.set_s_axil_wstrb_i(lo.wstrb);
        p.set_s_axil_bready_i(lo.bready);
        p.set_s_axil_arvalid_i(lo.arvalid);
        p.set_s_axil_araddr_i(lo.araddr);
        p.set_s_axil_rready_i(lo.rready);
        p.set_s_axis_rx_tvalid_i(so.valid);
        p.set_s_axis_rx_tdata_i_bits(so.data);
        p.set_s_axis_rx_tkeep_i_bits(u128::from(so.keep));
        p.set_s_axis_rx_tlast_i(so.last);
        p.set_m_axis_tx_tready_i(tready);
    }

    /// The NIC's outputs as the models see them before the edge.
    #[inline(always)]
    fn sample(&self) -> NicOutputs {
        let p = self.model.ports();
        let m = AxiMasterSignals {
            aw: AddrBeat {
                valid: p.m_axi_awvalid_o(),
                id: p.m_axi_awid_o_bits() as u8,
                addr: p.m_axi_awaddr_o_bits() as u64,
                len: p.m_axi_awlen_o(),
                size: p.m_axi_awsize_o(),
                burst: p.m_axi_awburst_o(),
            },
            w: WBeat {
                valid: p.m_axi_wvalid_o(),
                data: p.m_axi_wdata_o_bits(),
                strb: p.m_axi_wstrb_o_bits() as u16,
                last: p.m_axi_wlast_o(),
            },
            bready: p.m_axi_bready_o(),
            ar: AddrBeat {
                valid: p.m_axi_arvalid_o(),
                id: p.m_axi_arid_o_bits() as u8,
                addr: p.m_axi_araddr_o_bits() as u64,
                len: p.m_axi_arlen_o(),
                size: p.m_axi_arsize_o(),
                burst: p.m_axi_arburst_o(),
            },
            rready: p.m_axi_rready_o(),
        };
        let l = AxilSlaveSignals {
            awready: p.s_axil_awready_o(),
            wready: p.s_axil_wready_o(),
            bvalid: p.s_axil_bvalid_o(),
            bresp: p.s_axil_bresp_o(),
            arready: p.s_axil_arready_o(),
            rvalid: p.s_axil_rvalid_o(),
            rdata: p.s_axil_rdata_o(),
            rresp: p.s_axil_rresp_o(),
        };
        let txb = AxisBeat {
            valid: p.m_axis_tx_tvalid_o(),
            data: p.m_axis_tx_tdata_o_bits(),
            keep: p.m_axis_tx_tkeep_o_bits() as u16,
            last: p.m_axis_tx_tlast_o(),
        };
        NicOutputs {
            m,
            l,
            txb,
            rx_ready: p.s_axis_rx_tready_o(),
            irq: p.irq_o(),
        }
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
        self.probe_markers();
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
        self.probe_markers();
        self.axil.start_read(reg).map_err(|source| SimError::Axil {
            cycle: self.cycle,
            source,
        })?;
        self.axil_wait()
    }

    /// Writes `value` to the register at byte offset `reg`.
    pub fn write_reg(&mut self, reg: u32, value: u32) -> Result<(), SimError> {
        self.check_halted()?;
        self.probe_markers();
        self.note_register_write(reg, value);
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
        self.markers = *m;
        self.strobe_until = if m.sync_strobe {
            self.cycle + 1
        } else {
            u64::MAX
        };
        let p = self.model.ports_mut();
        p.set_drv_napi_active_i(m.napi_active);
        p.set_drv_pool_inflight_i(m.pool_inflight);
        p.set_drv_rx_doorbell_i(m.rx_doorbell);
        p.set_drv_tx_doorbell_i(m.tx_doorbell);
        p.set_drv_sync_dir_i(m.sync_dir);
        p.set_drv_sync_len_i(m.sync_len);
        p.set_drv_sync_strobe_i(m.sync_strobe);
    }

    /// Holds the NIC in reset (`false`) or releases it.
    pub fn set_reset(&mut self, rst_n: bool) {
        self.rst_n = rst_n;
    }

    /// The driver-side markers as last set.
    pub fn markers(&self) -> &DriverMarkers {
        &self.markers
    }

    /// Installs (or removes) the probe that updates the driver markers
    /// while a waveform is open; see [`crate::markers::PoolProbe`].
    pub fn set_marker_probe(&mut self, probe: Option<MarkerProbe>) {
        self.marker_probe = probe;
    }

    #[inline]
    fn probe_markers(&mut self) {
        if self.marker_probe.is_some() && self.model.trace_is_open() {
            self.run_probe();
        }
    }

    #[cold]
    fn run_probe(&mut self) {
        let mut m = self.markers;
        if let Some(p) = self.marker_probe.as_mut() {
            p(&mut m);
        }
        if m != self.markers {
            self.set_markers(&m);
        }
    }

    #[cold]
    fn lower_strobe(&mut self) {
        let m = DriverMarkers {
            sync_strobe: false,
            ..self.markers
        };
        self.set_markers(&m);
    }

    /// Register writes the markers show: the doorbells, and NAPI (the
    /// driver masks every interrupt cause while NAPI polls and unmasks
    /// when it completes; CTRL without ENABLE ends it).
    #[inline]
    fn note_register_write(&mut self, reg: u32, value: u32) {
        use nic_hw::regs;
        let mut m = self.markers;
        match reg {
            regs::RX_PROD => m.rx_doorbell = value as u16,
            regs::TX_PROD => m.tx_doorbell = value as u16,
            regs::IRQ_MASK => m.napi_active = value & 0xf == 0xf,
            regs::CTRL if value & regs::ctrl::ENABLE == 0 => m.napi_active = false,
            _ => return,
        }
        if m != self.markers {
            self.set_markers(&m);
        }
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
        let mut spec = crate::replay::WaveSpec::new(path.as_ref());
        spec.window = window;
        self.waves_spec(&spec)
    }

    /// Dumps a waveform as `spec` says (format, window, a marker cycle in
    /// the save file).
    pub fn waves_spec(&mut self, spec: &crate::replay::WaveSpec) -> Result<(), SimError> {
        self.waves_close();
        let window = spec.window.clone().unwrap_or(self.cycle..u64::MAX);
        if window.end <= self.cycle || window.is_empty() {
            return Err(SimError::Wave(format!(
                "window {window:?} is empty or already over (cycle {})",
                self.cycle
            )));
        }
        self.waves = Some(Waves {
            spec: spec.clone(),
            window: window.clone(),
        });
        self.wave_event = window.start.max(self.cycle);
        Ok(())
    }

    /// Closes the waveform file now (if open), writes its save file (and
    /// the VCD copy if VCD was asked for) and cancels any window.
    pub fn waves_close(&mut self) {
        if self.model.trace_is_open() {
            self.model.trace_close();
            if let Some(w) = &self.waves {
                if let Err(e) = w.spec.finish() {
                    tracing::error!(path = %w.spec.path.display(), "cosim: waveform post-processing failed: {e}");
                }
            }
        }
        self.waves = None;
        self.wave_event = u64::MAX;
    }

    #[cold]
    fn wave_tick(&mut self) -> Result<(), SimError> {
        let Some(w) = &self.waves else {
            self.wave_event = u64::MAX;
            return Ok(());
        };
        if !self.model.trace_is_open() && self.cycle < w.window.end {
            let path = w.spec.trace_path();
            let end = w.window.end;
            tracing::info!(cycle = self.cycle, path = %path.display(), "cosim: waveform opened");
            self.model
                .trace_open(&path)
                .map_err(|e| SimError::Wave(e.to_string()))?;
            self.wave_event = end;
            if self.marker_probe.is_some() {
                self.run_probe();
            }
        } else {
            tracing::info!(cycle = self.cycle, path = %w.spec.path.display(), "cosim: waveform closed");
            self.waves_close();
        }
        Ok(())
    }
}

impl<S: DmaStorage> Drop for Sim<S> {
    /// Finishes an open waveform (save file, VCD copy) and records the
    /// cycle reached for [`crate::replay`] (the failure cycle of a test that
    /// panicked with this testbench alive).
    fn drop(&mut self) {
        crate::replay::note_sim_dropped(self.cycle);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_outputs_are_named_by_port_group() {
        let a = NicOutputs {
            m: AxiMasterSignals::default(),
            l: AxilSlaveSignals::default(),
            txb: AxisBeat::default(),
            rx_ready: false,
            irq: false,
        };
        assert!(a.changed(&a).is_empty());
        let mut b = a;
        b.rx_ready = true;
        b.m.w.valid = true;
        b.irq = true;
        assert_eq!(a.changed(&b), ["m_axi_w*", "s_axis_rx_tready_o", "irq_o"]);
    }
}
