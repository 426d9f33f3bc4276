//! `skb_try_coalesce` (net/core/skbuff.c, 6.12): `skb_cloned(to)` refuses;
//! `to->pp_recycle != from->pp_recycle` refuses (no mixing of page pool
//! and other pages in one skb); a cloned `from` cannot give its head
//! (`skb_head_is_locked`); otherwise `from`'s head page becomes a frag of
//! `to` as it is (its pp reference moves with it).

use hostdriver::test_utils::*;
use hostdriver::{CoalesceError, CoalescePolicy};
use pool::Coherence;

use crate::common::{rx_n, small};

/// The three refusals, each handing `from` back untouched, and no pool
/// counter moving.
#[test]
fn refuses_a_cloned_target_a_cloned_source_and_mixed_pp_recycle() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let mut skbs = rx_n(&mut drv, 2, 200);
    let b = skbs.pop().unwrap();
    let mut a = skbs.pop().unwrap();
    let pp0 = drv.pool_stats().unwrap();
    let a_clone = a.skb_clone();
    let (b, e) = a
        .try_coalesce(b, CoalescePolicy::KeepPoolState)
        .unwrap_err();
    assert_eq!(e, CoalesceError::TargetCloned);
    drop(a_clone);
    let b_clone = b.skb_clone();
    let (b, e) = a
        .try_coalesce(b, CoalescePolicy::KeepPoolState)
        .unwrap_err();
    assert_eq!(e, CoalesceError::SourceCloned);
    drop(b_clone);
    let copy = b.skb_copy().unwrap();
    let (copy, e) = a
        .try_coalesce(copy, CoalescePolicy::KeepPoolState)
        .unwrap_err();
    assert_eq!(
        e,
        CoalesceError::PpRecycleMismatch {
            to: true,
            from: false
        }
    );
    assert_eq!(copy.to_vec().unwrap(), frame(1, 200));
    assert_eq!(drv.pool_stats().unwrap(), pp0);
    a.try_coalesce(b, CoalescePolicy::KeepPoolState).unwrap();
    assert_eq!(a.nr_frags(), 1);
    a.free();
    drop(copy);
    settle(&mut drv);
    close_clean(&mut drv);
}
