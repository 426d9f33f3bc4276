//! The Verilated model through the bridge: ports, contexts per model,
//! parallel models, waveform windows.

use cosim::bus::SparseMem;
use cosim::{port_info, Model, ModelConfig, Sim, SimConfig};
use nic_hw::regs;

#[test]
fn port_table_names_every_nic_port_and_markers() {
    let ports = port_info(ModelConfig::default()).unwrap();
    for name in [
        "clk_i",
        "rst_ni",
        "irq_o",
        "m_axi_awaddr_o",
        "m_axi_rdata_i",
        "s_axis_rx_tkeep_i",
        "drv_pool_inflight_i",
    ] {
        assert!(ports.iter().any(|p| p.name == name), "{name}");
    }
    let awaddr = ports.iter().find(|p| p.name == "m_axi_awaddr_o").unwrap();
    assert_eq!((awaddr.input, awaddr.width), (false, 64));
    let mut m = Model::new("TOP", ModelConfig::default()).unwrap();
    // Ports are plain memory: an input written reads back without an eval.
    m.ports_mut().set_drv_pool_inflight_i(0xdead_beef);
    assert_eq!(m.ports().drv_pool_inflight_i(), 0xdead_beef);
}

#[test]
fn every_variant_has_the_same_ports_with_its_own_data_width() {
    let base = port_info(ModelConfig::default()).unwrap();
    for cfg in ModelConfig::available() {
        let ports = port_info(cfg).unwrap();
        let names = |t: &[cosim::bridge::PortInfo]| {
            let mut v: Vec<_> = t.iter().map(|p| (p.name, p.input)).collect();
            v.sort();
            v
        };
        assert_eq!(names(ports), names(base), "{cfg}");
        let width = |n: &str| ports.iter().find(|p| p.name == n).unwrap().width;
        for data in [
            "m_axi_wdata_o",
            "m_axi_rdata_i",
            "s_axis_rx_tdata_i",
            "m_axis_tx_tdata_o",
        ] {
            assert_eq!(width(data), cfg.data_width, "{cfg}: {data}");
        }
        for strobe in ["m_axi_wstrb_o", "s_axis_rx_tkeep_i", "m_axis_tx_tkeep_o"] {
            assert_eq!(width(strobe), cfg.data_width / 8, "{cfg}: {strobe}");
        }
        assert_eq!(width("m_axi_awaddr_o"), 64, "{cfg}");

        // A wide input keeps exactly its width: bits above it are dropped.
        let mut m = Model::new("TOP", cfg).unwrap();
        m.ports_mut().set_s_axis_rx_tdata_i_bits(u128::MAX);
        let mask = if cfg.data_width == 128 {
            u128::MAX
        } else {
            (1u128 << cfg.data_width) - 1
        };
        assert_eq!(m.ports().s_axis_rx_tdata_i_bits(), mask, "{cfg}");
        assert_eq!(m.ports().s_axis_rx_tdata_i_width(), cfg.data_width, "{cfg}");
        assert_eq!(m.config(), cfg);
    }
}

#[test]
fn an_unbuilt_variant_is_a_typed_error() {
    let cfg = ModelConfig {
        data_width: 512,
        assertions: true,
    };
    let Err(e) = Sim::new(
        SimConfig {
            model: cfg,
            ..SimConfig::default()
        },
        SparseMem::new(),
    ) else {
        panic!("no 512-bit model is built");
    };
    assert!(e.to_string().contains("512-bit data"), "{e}");
}

fn id_and_cycles(seed: u64, n: u64) -> (u32, u64, u64) {
    let mut sim = Sim::new(
        SimConfig {
            seed,
            ..SimConfig::default()
        },
        SparseMem::new(),
    )
    .unwrap();
    let id = sim.read_reg(regs::ID).unwrap();
    sim.step_n(n).unwrap();
    (id, sim.cycle(), sim.model().time())
}

#[test]
fn models_in_parallel_threads_keep_their_own_context() {
    // Different lengths on different threads: each model's time is its own.
    let handles: Vec<_> = (0..4u64)
        .map(|i| std::thread::spawn(move || id_and_cycles(i, 20_000 * (i + 1))))
        .collect();
    let one = id_and_cycles(9, 100);
    for (i, h) in handles.into_iter().enumerate() {
        let (id, cycles, time) = h.join().unwrap();
        assert_eq!(id, regs::DEVICE_ID);
        assert_eq!(
            time,
            2 * cycles,
            "model {i}: two evals per cycle, no foreign time"
        );
        assert!(cycles >= 20_000 * (i as u64 + 1));
    }
    assert_eq!(one.2, 2 * one.1);
    // A model can move to another thread between calls.
    let sim = Sim::new(SimConfig::default(), SparseMem::new()).unwrap();
    let h = std::thread::spawn(move || {
        let mut sim = sim;
        sim.read_reg(regs::VERSION).unwrap()
    });
    assert_eq!(h.join().unwrap(), regs::DEVICE_VERSION);
}

#[test]
fn waves_for_a_cycle_window_only() {
    let dir = std::env::temp_dir().join(format!("cosim-waves-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("window.fst");
    let mut sim = Sim::new(SimConfig::default(), SparseMem::new()).unwrap();
    let start = sim.cycle() + 50;
    sim.waves(&path, Some(start..start + 100)).unwrap();
    sim.step_n(49).unwrap();
    assert!(!sim.model().trace_is_open(), "not open before the window");
    sim.step_n(2).unwrap();
    assert!(sim.model().trace_is_open(), "open inside the window");
    sim.step_n(100).unwrap();
    assert!(!sim.model().trace_is_open(), "closed at the window's end");
    let fst = std::fs::read(&path).unwrap();
    assert!(fst.len() > 100, "FST written ({} bytes)", fst.len());
    // A whole-run file, closed explicitly; a bad path is a typed error.
    let all = dir.join("all.fst");
    sim.waves(&all, None).unwrap();
    sim.read_reg(regs::ID).unwrap();
    sim.waves_close();
    assert!(std::fs::metadata(&all).unwrap().len() > 100);
    sim.waves(dir.join("no/such/dir/x.fst"), None).unwrap();
    let e = sim.step().unwrap_err();
    assert!(e.to_string().contains("cannot create waveform file"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The NIC's registered-outputs contract, as `cosim/build.rs` finds it in
/// the generated C++: no output is computed in the input-combinational
/// region. The builds without assertions rely on it for one eval per cycle.
#[test]
fn every_build_has_registered_outputs() {
    for cfg in ModelConfig::available() {
        let info = cfg.info().unwrap();
        assert!(
            info.registered_outputs(),
            "{cfg}: output(s) {:?} depend combinationally on inputs",
            info.comb_outputs
        );
    }
}
