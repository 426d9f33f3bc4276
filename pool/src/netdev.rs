//! The network-side identities a page pool is bound to: its NAPI instance
//! and its netdev.

use serde::Serialize;

/// A NAPI instance id (`napi_struct::napi_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NapiId(pub u32);

/// A network device's interface index (the pool's `netdev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IfIndex(pub u32);

/// The loopback device's ifindex (`LOOPBACK_IFINDEX`): pools whose netdev
/// is unregistered are moved to it (and then reported without an
/// `ifindex`); unregistering it wipes the pools hanging off it.
pub const LOOPBACK_IFINDEX: IfIndex = IfIndex(1);
