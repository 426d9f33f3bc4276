//! `cosim demo`: the main demo. Frames of seeded random length go from the
//! wire through the Verilated NIC's RX engine, by DMA into page-pool pages,
//! through the NAPI driver to the "stack", which echoes each one back out
//! through the TX ring; the demo checks every byte both ways and accounts for
//! every frame and every page at the end.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use hostdriver::{Driver, DriverConfig, TxError};
use pool::{HostMemory, LedgerOp, MemConfig};

use crate::CliError;
use cosim::{PoolStorage, Sim, SimConfig, SplitMix64};

/// Options of `cosim demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Frames to send (1..=100000).
    #[arg(long, default_value_t = 512)]
    pub frames: u32,
    /// Seed of every random choice (frame lengths and contents, bus timing).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write an FST waveform of the whole run here.
    #[arg(long, value_name = "PATH")]
    pub waves: Option<PathBuf>,
}

fn frame(rng: &mut SplitMix64, seq: u32) -> Vec<u8> {
    let len = 60 + (rng.next_u64() % (1518 - 60 + 1)) as usize;
    // Broadcast destination, locally administered source, EtherType 0x88b5
    // (local experimental), then the sequence number and seeded bytes.
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);
    f.extend_from_slice(&seq.to_be_bytes());
    while f.len() < len {
        f.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    f.truncate(len);
    f
}

fn sim_err(e: impl std::fmt::Display) -> CliError {
    CliError::Check(e.to_string())
}

/// Runs the demo and prints its summary.
pub fn run(args: &DemoArgs) -> Result<(), CliError> {
    if !(1..=100_000).contains(&args.frames) {
        return Err(CliError::Input(format!(
            "--frames {}: expected 1..=100000",
            args.frames
        )));
    }
    let n = args.frames as usize;
    println!(
        "cosim demo: seed {}, {} frames of 60..=1518 bytes, page mode, the stack echoes every frame",
        args.seed, n
    );

    let mem = HostMemory::new(MemConfig {
        pages_per_node: 16384,
        ..MemConfig::default()
    });
    let dma = mem.dma_device("nic0");
    let mut sim = Sim::new(
        SimConfig {
            name: "nic0".into(),
            seed: args.seed,
            ..SimConfig::default()
        },
        PoolStorage::new(dma.clone()),
    )
    .map_err(sim_err)?;
    if let Some(path) = &args.waves {
        sim.waves(path, None)
            .map_err(|e| CliError::Input(format!("--waves {}: {e}", path.display())))?;
    }
    let mut drv = Driver::probe(sim, DriverConfig::default()).map_err(sim_err)?;
    drv.open().map_err(sim_err)?;
    if args.waves.is_some() {
        // Pool in-flight and a strobe per DMA sync, next to the RTL signals.
        let pools = [drv.rx_pool(), drv.tx_pool()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        cosim::markers::PoolProbe::install(drv.dev_mut(), pools);
    }

    let mut rng = SplitMix64::new(args.seed);
    let sent: Vec<Vec<u8>> = (0..n as u32).map(|i| frame(&mut rng, i)).collect();
    for f in &sent {
        drv.dev_mut().send_frame(f.clone()).map_err(sim_err)?;
    }

    let wall = Instant::now();
    let start_cycle = drv.dev().cycle();
    let mut received = 0usize;
    let mut rx_mismatch = Vec::new();
    let mut echo: VecDeque<Vec<u8>> = VecDeque::new();
    let mut wire = Vec::with_capacity(n);
    let deadline = start_cycle + 20_000 * n as u64 + 200_000;
    let mut next_progress = 0usize;
    while wire.len() < n {
        if drv.dev().cycle() > deadline {
            return Err(CliError::Check(format!(
                "stalled at cycle {}: {received} of {n} frames received, {} echoed on the wire; driver {:?}",
                drv.dev().cycle(),
                wire.len(),
                drv.stats()
            )));
        }
        drv.run_for(256, 32).map_err(sim_err)?;
        for skb in drv.drain_rx() {
            let data = skb.to_vec().map_err(sim_err)?;
            if sent.get(received) != Some(&data) {
                rx_mismatch.push(received);
            }
            received += 1;
            echo.push_back(data);
            skb.free();
        }
        while let Some(f) = echo.front() {
            match drv.xmit(f) {
                Ok(()) => {
                    echo.pop_front();
                }
                Err(TxError::Busy { .. }) => break,
                Err(e) => return Err(sim_err(e)),
            }
        }
        wire.extend(drv.dev_mut().take_tx_frames().into_iter().map(|f| f.data));
        if wire.len() >= next_progress {
            tracing::info!(
                cycle = drv.dev().cycle(),
                received,
                echoed = wire.len(),
                "progress"
            );
            next_progress += n.div_ceil(10);
        }
    }
    let cycles = drv.dev().cycle() - start_cycle;
    let secs = wall.elapsed().as_secs_f64();

    let stats = drv.stats();
    let hw = drv.hw_stats().map_err(sim_err)?;
    let pp = drv.ethtool_stats().map_err(sim_err)?;
    let report = drv.close().map_err(sim_err)?;
    let ledger = dma.ledger();
    let violations = dma.violations();
    let skb_violations = drv.skb_violations();

    let bytes: u64 = sent.iter().map(|f| f.len() as u64).sum();
    let tx_mismatch = wire.iter().zip(&sent).filter(|(a, b)| a != b).count();
    println!();
    println!(
        "  RX   wire -> NIC -> DMA -> pool pages -> NAPI -> stack: {received} frames, {} bytes, {} differ",
        stats.rx_bytes,
        rx_mismatch.len()
    );
    println!(
        "  TX   stack -> TX ring -> NIC DMA -> wire:              {} frames, {} bytes, {} differ",
        wire.len(),
        wire.iter().map(|f| f.len() as u64).sum::<u64>(),
        tx_mismatch
    );
    println!(
        "  time {cycles} simulated cycles in {secs:.2} s wall: {:.0} cycles/s",
        cycles as f64 / secs.max(1e-9)
    );
    println!(
        "  NAPI {} interrupts, {} polls, {} used the whole budget, {} doorbells",
        stats.irqs, stats.napi_polls, stats.napi_budget_exhausted, stats.rx_doorbells
    );
    println!("  page pool (kernel stat names):");
    for (name, v) in pp.iter().filter(|(k, _)| k.starts_with("rx_pp_")) {
        println!("    {name:<32} {v}");
    }
    let sum = |op: LedgerOp| {
        ledger
            .iter()
            .filter(|e| e.op == op)
            .fold((0u64, 0u64), |(c, b), e| (c + 1, b + e.len))
    };
    let (cpu_n, cpu_b) = sum(LedgerOp::SyncForCpu);
    let (dev_n, dev_b) = sum(LedgerOp::SyncForDevice);
    let (map_n, _) = sum(LedgerOp::Map);
    let (unmap_n, _) = sum(LedgerOp::Unmap);
    println!(
        "  DMA  {map_n} maps, {unmap_n} unmaps, {cpu_n} syncs for the CPU ({cpu_b} bytes), {dev_n} syncs for the device ({dev_b} bytes)"
    );
    println!(
        "  NIC  rx_frames {} rx_bytes {} drops no_desc {} too_long {} off {} dma_err {}; tx_frames {} tx_bytes {}",
        hw.hw_rx_frames,
        hw.hw_rx_bytes,
        hw.hw_rx_drop_no_desc,
        hw.hw_rx_drop_too_long,
        hw.hw_rx_drop_off,
        hw.hw_rx_drop_dma_err,
        hw.hw_tx_frames,
        hw.hw_tx_bytes
    );

    let dropped = hw.rx_frames_in() - hw.hw_rx_frames;
    let checks = [
        (
            format!("frames in {n} = received {received} + dropped {dropped}, every byte equal"),
            hw.rx_frames_in() == n as u64
                && received as u64 + dropped == n as u64
                && rx_mismatch.is_empty()
                && stats.rx_bytes == bytes,
        ),
        (
            format!(
                "frames echoed {} = received {received}, every byte equal",
                wire.len()
            ),
            wire.len() == received && tx_mismatch == 0,
        ),
        (
            format!(
                "pool pages in flight after close: RX {} TX {}; live DMA mappings {}",
                report.rx_inflight, report.tx_inflight, report.live_mappings
            ),
            report.rx_inflight == 0 && report.tx_inflight == 0 && report.live_mappings == 0,
        ),
        (
            format!(
                "DMA-API violations {}, skb recycle violations {}",
                violations.len(),
                skb_violations.len()
            ),
            violations.is_empty() && skb_violations.is_empty(),
        ),
    ];
    println!("  conservation:");
    let mut failed = Vec::new();
    for (line, ok) in &checks {
        println!("    [{}] {line}", if *ok { " ok " } else { "FAIL" });
        if !ok {
            failed.push(line.clone());
        }
    }
    for v in violations.iter().take(5) {
        println!("    violation: {v}");
    }
    if let Some(path) = &args.waves {
        println!("  waves: {}", path.display());
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Check(format!(
            "{} check(s) failed: {}",
            failed.len(),
            failed.join("; ")
        )))
    }
}
