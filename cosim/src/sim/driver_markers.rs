//! The driver-marker inputs (`drv_*`) as a layer beside the model: the
//! values last set, a raised sync strobe lowered after one cycle, the
//! doorbell and NAPI markers taken from the register writes the testbench
//! carries out, and an optional probe run while a waveform is open (see
//! [`crate::markers`]). The NIC ignores these inputs; waveforms show them
//! next to the hardware.

use crate::bridge::{Model, Ports};

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

/// The marker layer of a [`crate::Sim`].
pub(super) struct MarkerInputs {
    current: DriverMarkers,
    probe: Option<MarkerProbe>,
    /// The cycle at whose start a raised sync strobe is lowered (u64::MAX:
    /// not raised).
    strobe_until: u64,
}

impl MarkerInputs {
    /// All markers low, driven onto `ports`.
    pub(super) fn new(ports: &mut Ports) -> Self {
        let mut m = MarkerInputs {
            current: DriverMarkers::default(),
            probe: None,
            strobe_until: u64::MAX,
        };
        m.set(ports, &DriverMarkers::default(), 0);
        m
    }

    /// The markers as last set.
    pub(super) fn current(&self) -> &DriverMarkers {
        &self.current
    }

    /// Drives `m` onto the marker inputs at `cycle`; a raised `sync_strobe`
    /// is lowered again at the start of the next cycle.
    pub(super) fn set(&mut self, ports: &mut Ports, m: &DriverMarkers, cycle: u64) {
        self.current = *m;
        self.strobe_until = if m.sync_strobe { cycle + 1 } else { u64::MAX };
        ports.set_drv_napi_active_i(m.napi_active);
        ports.set_drv_pool_inflight_i(m.pool_inflight);
        ports.set_drv_rx_doorbell_i(m.rx_doorbell);
        ports.set_drv_tx_doorbell_i(m.tx_doorbell);
        ports.set_drv_sync_dir_i(m.sync_dir);
        ports.set_drv_sync_len_i(m.sync_len);
        ports.set_drv_sync_strobe_i(m.sync_strobe);
    }

    /// Whether a raised strobe is to be lowered at the start of `cycle`.
    #[inline]
    pub(super) fn strobe_due(&self, cycle: u64) -> bool {
        cycle >= self.strobe_until
    }

    #[cold]
    pub(super) fn lower_strobe(&mut self, ports: &mut Ports, cycle: u64) {
        let m = DriverMarkers {
            sync_strobe: false,
            ..self.current
        };
        self.set(ports, &m, cycle);
    }

    pub(super) fn set_probe(&mut self, probe: Option<MarkerProbe>) {
        self.probe = probe;
    }

    /// Runs the probe if there is one and `model` is dumping a waveform.
    #[inline]
    pub(super) fn probe_if_tracing(&mut self, model: &mut Model, cycle: u64) {
        if self.probe.is_some() && model.trace_is_open() {
            self.run_probe(model.ports_mut(), cycle);
        }
    }

    /// Runs the probe, if there is one, and drives what it changed.
    #[cold]
    pub(super) fn run_probe(&mut self, ports: &mut Ports, cycle: u64) {
        let mut m = self.current;
        if let Some(p) = self.probe.as_mut() {
            p(&mut m);
        }
        if m != self.current {
            self.set(ports, &m, cycle);
        }
    }

    /// Register writes the markers show: the doorbells, and NAPI (the
    /// driver masks every interrupt cause while NAPI polls and unmasks
    /// when it completes; CTRL without ENABLE ends it).
    #[inline]
    pub(super) fn note_register_write(
        &mut self,
        ports: &mut Ports,
        reg: u32,
        value: u32,
        cycle: u64,
    ) {
        use nic_hw::regs;
        let mut m = self.current;
        match reg {
            regs::RX_PROD => m.rx_doorbell = value as u16,
            regs::TX_PROD => m.tx_doorbell = value as u16,
            regs::IRQ_MASK => m.napi_active = value & 0xf == 0xf,
            regs::CTRL if value & regs::ctrl::ENABLE == 0 => m.napi_active = false,
            _ => return,
        }
        if m != self.current {
            self.set(ports, &m, cycle);
        }
    }
}
