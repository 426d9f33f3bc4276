//! The NIC RTL end to end on the project's real host memory: the AXI
//! slave's storage is `pool`'s simulated memory with IOMMU-like
//! translation, so the NIC can only reach what the driver mapped.

use cosim::bus::{Dir, Resp};
use cosim::{PoolStorage, Sim, SimConfig, SplitMix64};
use nic_hw::regs;
use nic_hw::wire::{Completion, Descriptor};
use pool::{DmaDirection, HostAddr, HostMemory, MemConfig};

const HEADROOM: u32 = 256;

fn cpu_read(mem: &HostMemory, at: HostAddr, len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    mem.cpu_read(at, &mut v).expect("cpu_read");
    v
}

#[test]
fn rx_into_mapped_pool_pages_and_unmapped_dma_is_refused() {
    let seed = 91;
    eprintln!("seed {seed}");
    let mem = HostMemory::new(MemConfig::default());
    let dev = pool::DmaDev::new(&mem, "nic0");
    let size = 8u16;
    let ring = dev.alloc_coherent(16 * usize::from(size)).unwrap();
    let cq = dev.alloc_coherent(16 * usize::from(size)).unwrap();
    let tx_ring = dev.alloc_coherent(16 * usize::from(size)).unwrap();
    let tx_cq = dev.alloc_coherent(16 * usize::from(size)).unwrap();
    mem.cpu_write(cq.host, &vec![0; 16 * usize::from(size)])
        .unwrap();

    let mut sim = Sim::new(
        SimConfig {
            seed,
            ..SimConfig::default()
        },
        PoolStorage::new(dev.clone()),
    )
    .unwrap();
    for (lo, hi, a) in [
        (
            regs::RX_RING_BASE_LO,
            regs::RX_RING_BASE_HI,
            ring.dma.raw_value(),
        ),
        (regs::RX_CQ_BASE_LO, regs::RX_CQ_BASE_HI, cq.dma.raw_value()),
        (
            regs::TX_RING_BASE_LO,
            regs::TX_RING_BASE_HI,
            tx_ring.dma.raw_value(),
        ),
        (
            regs::TX_CQ_BASE_LO,
            regs::TX_CQ_BASE_HI,
            tx_cq.dma.raw_value(),
        ),
    ] {
        sim.write_reg(lo, a as u32).unwrap();
        sim.write_reg(hi, (a >> 32) as u32).unwrap();
    }
    sim.write_reg(regs::RX_RING_SIZE, u32::from(size)).unwrap();
    sim.write_reg(regs::TX_RING_SIZE, u32::from(size)).unwrap();
    sim.write_reg(regs::RX_HEADROOM, HEADROOM).unwrap();
    sim.write_reg(regs::IRQ_MASK, 0).unwrap();
    sim.write_reg(regs::CTRL, regs::ctrl::ENABLE).unwrap();

    // Three pages mapped FROM_DEVICE, then one descriptor with an address
    // nobody mapped.
    let pages: Vec<_> = (0..3).map(|_| mem.alloc_pages(0, 0).unwrap()).collect();
    let mut dmas = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        let dma = dev.map_page(p, 0, 4096, DmaDirection::FromDevice).unwrap();
        let d = Descriptor::new(dma.raw_value(), 4096 - HEADROOM, i as u32);
        mem.cpu_write(ring.host.checked_add(16 * i as u64).unwrap(), &d.to_bytes())
            .unwrap();
        dmas.push(dma);
    }
    let bogus = dmas.iter().map(|d| d.raw_value()).max().unwrap() + 0x10_0000;
    let d = Descriptor::new(bogus, 2048, 3);
    mem.cpu_write(ring.host.checked_add(48).unwrap(), &d.to_bytes())
        .unwrap();
    sim.write_reg(regs::RX_PROD, 3).unwrap();

    let mut rng = SplitMix64::new(seed);
    let frames: Vec<Vec<u8>> = [60usize, 1518, 777]
        .iter()
        .map(|&n| (0..n).map(|_| rng.next_u64() as u8).collect())
        .collect();
    for f in &frames {
        sim.send_frame(f.clone()).unwrap();
    }
    sim.run_until("3 RX completions", 100_000, |s| {
        let mut b = [0u8; 16];
        s.storage()
            .memory()
            .cpu_read(cq.host.checked_add(32).unwrap(), &mut b)
            .unwrap();
        b[11] & 1 == 1
    })
    .unwrap();
    for (i, f) in frames.iter().enumerate() {
        let c = Completion::parse(&cpu_read(
            &mem,
            cq.host.checked_add(16 * i as u64).unwrap(),
            16,
        ))
        .unwrap();
        assert_eq!(
            (c.len() as usize, c.tag(), c.phase()),
            (f.len(), i as u32, true)
        );
        dev.sync_single_range_for_cpu(dmas[i], 0, 4096, DmaDirection::FromDevice)
            .unwrap();
        let page = cpu_read(&mem, pages[i].host_addr(), 4096);
        assert_eq!(
            &page[HEADROOM as usize..HEADROOM as usize + f.len()],
            &f[..],
            "frame {i}"
        );
    }
    assert!(dev.violations().is_empty(), "{:?}", dev.violations());
    // The simulated cycle reached the host memory.
    assert_eq!(mem.cycle(), sim.cycle());

    // The fourth descriptor points at unmapped memory: the IOMMU refuses,
    // the model answers DECERR and the NIC stops its RX queue.
    sim.write_reg(regs::RX_PROD, 4).unwrap();
    sim.send_frame(vec![0x55; 100]).unwrap();
    sim.run_until("DMA error interrupt", 100_000, |s| {
        s.mem().log().iter().any(|r| r.resp.is_err())
    })
    .unwrap();
    sim.step_n(200).unwrap();
    let bad: Vec<_> = sim
        .mem()
        .log()
        .iter()
        .filter(|r| r.resp.is_err())
        .cloned()
        .collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(
        (bad[0].dir, bad[0].resp, bad[0].id),
        (Dir::Write, Resp::DecErr, 0)
    );
    assert!(
        bad[0].fault.as_deref().unwrap().contains("not"),
        "{:?}",
        bad[0].fault
    );
    assert_eq!(sim.storage().faults().len(), 1);
    assert_eq!(sim.read_reg(regs::STAT_DMA_ERRORS).unwrap(), 1);
    assert_ne!(
        sim.read_reg(regs::STATUS).unwrap() & regs::status::RX_STOPPED,
        0
    );
    assert!(sim.irq().level());
}
