//! `__xdp_rxq_info_reg`, `xdp_rxq_info_reg_mem_model`,
//! `xdp_rxq_info_unreg_mem_model`, `xdp_rxq_info_unreg`,
//! `xdp_rxq_info_unused` (net/core/xdp.c, 6.12): an XDP driver registers
//! every RX queue and its page pool as the queue's memory model
//! (`MEM_TYPE_PAGE_POOL`, a cyclic `mem.id` from the IDA between
//! `MEM_ID_MIN` and `MEM_ID_MAX`, entered in `mem_id_ht`); each misuse is
//! a `WARN` of the kernel, reported here.

use hostdriver::test_utils::*;
use hostdriver::{
    RedirectTarget, RxqRegState, XdpAction, XdpMemError, XdpMemInfo, XdpMemLog, XdpMemType,
    XdpMemViolation, XdpRxqInfo,
};
use pool::{Coherence, IfIndex, NapiId};

use crate::common::{one_xdp_driver, receive_all, second, small};

/// Open registers queue 0 with the driver's netdev and NAPI id, and its RX
/// pool as `MEM_TYPE_PAGE_POOL` under a mem id of its own; close
/// unregisters it. Two interfaces get two ids.
#[test]
fn open_registers_the_rx_queue_with_its_page_pool() {
    let mem = memory(Coherence::Coherent);
    let mut a = driver_on(&mem, "nicA", small());
    let mut b = driver_on(&mem, "nicB", second(small()));
    a.open().unwrap();
    b.open().unwrap();
    let (qa, qb) = (a.xdp_rxq_info().unwrap(), b.xdp_rxq_info().unwrap());
    for (q, napi) in [(qa, NapiId(pool::MIN_NAPI_ID)), (qb, NapiId(2))] {
        assert!(q.xdp_rxq_info_is_reg());
        assert_eq!(q.mem().mem_type, XdpMemType::PagePool);
        assert!(
            (hostdriver::xdp_mem::MEM_ID_MIN..hostdriver::xdp_mem::MEM_ID_MAX)
                .contains(&q.mem().id)
        );
        assert_eq!(q.queue_index(), 0);
        assert_eq!(q.napi_id(), Some(napi));
    }
    assert_ne!(qa.mem().id, qb.mem().id, "one mem id per memory model");
    close_clean(&mut a);
    close_clean(&mut b);
    assert!(a.xdp_rxq_info().is_none());
    assert!(a.xdp_mem_log().violations().is_empty());
    assert!(b.xdp_mem_log().violations().is_empty());
}

/// `xdp_rxq_info_reg_mem_model` on a queue never registered: `WARN(1,
/// "Missing register, driver bug")` and `-EFAULT`; `MEM_TYPE_PAGE_POOL`
/// without its pool is `-EINVAL`.
#[test]
fn reg_mem_model_needs_a_registered_queue_and_a_pool() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let pool = drv.rx_pool().unwrap().clone();
    let log = XdpMemLog::default();
    let mut q = XdpRxqInfo::new(log.clone());
    assert_eq!(
        q.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, Some(pool.clone())),
        Err(XdpMemError::NotRegistered)
    );
    assert_eq!(
        log.violations(),
        vec![XdpMemViolation::MissingRegister {
            func: "xdp_rxq_info_reg_mem_model"
        }]
    );
    q.xdp_rxq_info_reg(IfIndex(2), 1, NapiId(1)).unwrap();
    assert_eq!(
        q.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, None),
        Err(XdpMemError::NoAllocator)
    );
    q.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, Some(pool))
        .unwrap();
    assert_eq!(q.mem().mem_type, XdpMemType::PagePool);
    q.xdp_rxq_info_unreg();
    close_clean(&mut drv);
}

/// `__xdp_rxq_info_reg` of a registered queue: `WARN(1, "Missing
/// unregister, handled but fix driver")`, unregistered, then registered
/// again (zeroed: the old mem model is gone). An unused queue refuses:
/// `WARN(1, "Driver promised not to register this")`, `-EINVAL`; its
/// unregister is a no-op.
#[test]
fn reg_twice_warns_and_an_unused_queue_refuses() {
    let log = XdpMemLog::default();
    let mut q = XdpRxqInfo::new(log.clone());
    q.xdp_rxq_info_reg(IfIndex(2), 0, NapiId(1)).unwrap();
    q.xdp_rxq_info_reg_mem_model(XdpMemType::PageOrder0, None)
        .unwrap();
    q.xdp_rxq_info_reg(IfIndex(2), 0, NapiId(1)).unwrap();
    assert_eq!(log.violations(), vec![XdpMemViolation::MissingUnregister]);
    assert_eq!(
        q.mem(),
        XdpMemInfo::default(),
        "xdp_rxq_info_init zeroed it"
    );
    assert_eq!(q.reg_state(), RxqRegState::Registered);
    q.xdp_rxq_info_unused();
    assert_eq!(
        q.xdp_rxq_info_reg(IfIndex(2), 0, NapiId(1)),
        Err(XdpMemError::Unused)
    );
    q.xdp_rxq_info_unreg();
    assert_eq!(q.reg_state(), RxqRegState::Unused);
    assert_eq!(
        log.violations(),
        vec![
            XdpMemViolation::MissingUnregister,
            XdpMemViolation::RegisterUnused
        ]
    );
}

/// `xdp_rxq_info_unreg` resets `mem` to `{0, 0}` (`MEM_TYPE_PAGE_SHARED`):
/// an `xdp_frame` made from the queue afterwards would return its pool
/// page through `page_frag_free`; it is reported. A second
/// `xdp_rxq_info_unreg_mem_model` WARNs "Missing register".
#[test]
fn unreg_resets_mem_and_a_frame_made_after_it_is_reported() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let pool = drv.rx_pool().unwrap().clone();
    let log = XdpMemLog::default();
    let mut q = XdpRxqInfo::new(log.clone());
    q.xdp_rxq_info_reg(IfIndex(2), 0, NapiId(1)).unwrap();
    q.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, Some(pool))
        .unwrap();
    assert_eq!(q.frame_mem().mem_type, XdpMemType::PagePool);
    assert!(log.violations().is_empty());
    q.xdp_rxq_info_unreg();
    assert_eq!(q.reg_state(), RxqRegState::Unregistered);
    assert_eq!(q.mem(), XdpMemInfo::default());
    let m = q.frame_mem();
    q.xdp_rxq_info_unreg_mem_model();
    assert_eq!(
        log.violations(),
        vec![
            XdpMemViolation::FrameWithoutPoolMem {
                mem_type: m.mem_type,
                id: 0
            },
            XdpMemViolation::MissingRegister {
                func: "xdp_rxq_info_unreg_mem_model"
            }
        ]
    );
    close_clean(&mut drv);
}

/// `__mem_id_cyclic_get`: ids are handed out from `mem_id_next`, so a new
/// registration takes a later id, not the one just used (whose entry stays
/// in `mem_id_ht` until its pool is freed).
#[test]
fn mem_ids_are_handed_out_cyclically() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let pool = drv.rx_pool().unwrap().clone();
    let mut q = XdpRxqInfo::new(XdpMemLog::default());
    q.xdp_rxq_info_reg(IfIndex(2), 0, NapiId(1)).unwrap();
    q.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, Some(pool.clone()))
        .unwrap();
    let first = q.mem().id;
    q.xdp_rxq_info_unreg();
    q.xdp_rxq_info_reg(IfIndex(2), 0, NapiId(1)).unwrap();
    q.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, Some(pool))
        .unwrap();
    assert!(q.mem().id > first, "{} after {first}", q.mem().id);
    q.xdp_rxq_info_unreg();
    close_clean(&mut drv);
}

/// `xdp_convert_buff_to_frame`: `xdp_frame->mem = rxq->mem`; a redirected
/// frame carries its receiving queue's memory model.
#[test]
fn redirected_frames_carry_their_queues_mem_info() {
    let (_mem, mut a) = one_xdp_driver(
        small(),
        XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(9))),
    );
    receive_all(&mut a, 3, 128);
    let want = a.xdp_rxq_info().unwrap().mem();
    let frames = a.take_redirects();
    assert_eq!(frames.len(), 3);
    assert!(frames.iter().all(|f| f.mem_info() == want));
    for f in frames {
        f.free();
    }
    settle(&mut a);
    close_clean(&mut a);
}
