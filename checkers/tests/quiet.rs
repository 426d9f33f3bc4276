//! The correct driver under every monitor finds nothing: RX in page and
//! split-page mode, bursts over the budget, TX, XDP_TX, refill failures,
//! close and reopen, in coherent and non-coherent memory.

mod common;

use common::*;
use hostdriver::test_utils::{frame, len_for, settle_until, SERVICE_QUANTUM};
use hostdriver::{DriverConfig, NicDevice, RxMode, XdpAction, XdpBuff};
use pool::{Coherence, FailureInjection};

const MODES: [Coherence; 2] = [Coherence::Coherent, Coherence::NonCoherent];

fn settle(d: &mut Checked) {
    settle_until(d, 20_000, |m| m.inner().wire_backlog() == 0);
}

fn rx_traffic(d: &mut Checked, n: u32) {
    for i in 0..n {
        d.dev_mut().inner_mut().send_frame(frame(i, len_for(i)));
    }
    settle(d);
}

#[test]
fn rx_and_tx_in_both_memory_modes() {
    for mode in MODES {
        let mut d = open(DriverConfig::default(), mode);
        rx_traffic(&mut d, 300);
        assert_eq!(d.drain_rx().len(), 300);
        for i in 0..100 {
            d.xmit(&frame(i, 200)).expect("xmit");
            d.run_for(200, SERVICE_QUANTUM).expect("run");
        }
        settle(&mut d);
        d.close().expect("close");
        assert_quiet(&d);
    }
}

#[test]
fn bursts_over_the_budget_and_split_pages() {
    for mode in MODES {
        let cfg = DriverConfig {
            rx_ring_size: 256,
            rx_mode: RxMode::Frag,
            budget: 16,
            ..DriverConfig::default()
        };
        let mut d = open(cfg, mode);
        for i in 0..200 {
            d.dev_mut().inner_mut().send_frame(frame(i, 64));
        }
        d.dev_mut().advance(200_000).expect("advance");
        settle(&mut d);
        assert_eq!(d.drain_rx().len(), 200);
        d.close().expect("close");
        assert_quiet(&d);
    }
}

#[test]
fn xdp_tx_refill_failures_and_reopen() {
    for mode in MODES {
        let mut d = checked(
            DriverConfig::default(),
            mode,
            checkers::MonitorConfig::default(),
        );
        d.set_xdp_prog(Some(Box::new(|_: &mut XdpBuff| XdpAction::Tx)))
            .expect("xdp");
        d.open().expect("open");
        rx_traffic(&mut d, 100);
        assert_eq!(d.dev_mut().inner_mut().take_tx_frames().len(), 100);
        d.inject_rx_alloc_failures(FailureInjection::Probability { p: 0.3, seed: 7 })
            .expect("inject");
        rx_traffic(&mut d, 100);
        d.close().expect("close");
        d.set_xdp_prog(None).expect("no xdp");
        d.open().expect("reopen");
        rx_traffic(&mut d, 50);
        d.close().expect("close");
        assert_quiet(&d);
    }
}

/// A reopen's soft reset does not audit the rings the close freed: their
/// memory may already hold something else (here new, zeroed coherent
/// buffers), which is no finding.
#[test]
fn a_reopen_after_the_ring_memory_was_reused_is_quiet() {
    for mode in MODES {
        let mut d = open(DriverConfig::default(), mode);
        rx_traffic(&mut d, 40);
        assert_eq!(d.drain_rx().len(), 40);
        let old = d.dev().rings().rx.desc_host.expect("RX ring resolved");
        d.close().expect("close");
        let size = usize::from(d.config().rx_ring_size) * nic_hw::wire::Descriptor::SIZE;
        // Allocate until the freed RX ring's memory is handed out again
        // (or the memory is exhausted).
        let mut reused = Vec::new();
        while let Ok(b) = d.dma_dev().alloc_coherent(size) {
            let hit = b.host == old;
            reused.push(b);
            if hit {
                break;
            }
        }
        assert!(
            reused.iter().any(|b| b.host == old),
            "the freed RX ring's memory is reused"
        );
        d.open().expect("reopen");
        rx_traffic(&mut d, 40);
        assert_eq!(d.drain_rx().len(), 40);
        d.close().expect("close");
        for b in reused {
            d.dma_dev().free_coherent(b).expect("free");
        }
        assert_quiet(&d);
    }
}
