//! Helpers of the driver-side parity tests.

use hostdriver::model::ModelNic;
use hostdriver::test_utils::*;
use hostdriver::{Driver, DriverConfig, SkBuff, XdpAction, XdpBuff};
use pool::{Coherence, HostMemory, IfIndex, NapiId};

/// A small driver (16-entry rings) on the reference model.
pub fn small() -> DriverConfig {
    DriverConfig {
        rx_ring_size: 16,
        tx_ring_size: 16,
        ..DriverConfig::default()
    }
}

/// `n` frames of `len` bytes received and queued on the socket.
pub fn rx_n(drv: &mut Driver<ModelNic>, n: u32, len: usize) -> Vec<SkBuff> {
    for i in 0..n {
        drv.dev_mut().send_frame(frame(i, len));
    }
    run_until_rx(drv, n as usize, 1_000_000);
    drv.drain_rx()
}

/// An open driver whose XDP program returns `act` for every frame.
pub fn xdp_driver_on(
    mem: &HostMemory,
    name: &str,
    cfg: DriverConfig,
    act: XdpAction,
) -> Driver<ModelNic> {
    let mut d = driver_on(mem, name, cfg);
    d.set_xdp_prog(Some(Box::new(move |_: &mut XdpBuff| act)))
        .unwrap();
    d.open().unwrap();
    d
}

/// Driver "a" (ifindex 2, NAPI 1) on a fresh coherent memory.
pub fn one_xdp_driver(cfg: DriverConfig, act: XdpAction) -> (HostMemory, Driver<ModelNic>) {
    let mem = memory(Coherence::Coherent);
    let d = xdp_driver_on(&mem, "nicA", cfg, act);
    (mem, d)
}

/// A second interface's config: ifindex 3, NAPI 2.
pub fn second(cfg: DriverConfig) -> DriverConfig {
    DriverConfig {
        name: "b".into(),
        ifindex: IfIndex(3),
        napi_id: NapiId(2),
        ..cfg
    }
}

/// `n` frames sent to `drv` and received by it (whatever the verdict).
pub fn receive_all(drv: &mut Driver<ModelNic>, n: u32, len: usize) {
    let before = drv.stats().rx_packets;
    for i in 0..n {
        drv.dev_mut().send_frame(frame(i, len));
    }
    let want = before + u64::from(n);
    assert!(drv
        .run_until(2_000_000, 64, |d| d.stats().rx_packets >= want)
        .unwrap());
}
