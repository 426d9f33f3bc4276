//! The network-side identities a page pool is bound to: its NAPI instance
//! and its netdev, and the constants netlink judges them by.

use serde::Serialize;

/// A NAPI instance id (`napi_struct::napi_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NapiId(pub u32);

/// A network device's interface index (the pool's `netdev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IfIndex(pub u32);

/// The loopback device's ifindex (`LOOPBACK_IFINDEX`, include/net/flow.h):
/// pools whose netdev is unregistered are moved to it (and then reported
/// without an `ifindex`, as is a pool created on it); unregistering it
/// wipes the pools hanging off it.
pub const LOOPBACK_IFINDEX: IfIndex = IfIndex(1);

/// `NR_CPUS` of the simulated host: `CONFIG_NR_CPUS` of an x86-64 SMP
/// kernel without `MAXSMP`, whose default arch/x86/Kconfig sets
/// (`NR_CPUS_DEFAULT`: `64 if SMP` on X86_64; 8192 with `MAXSMP`, as
/// some distributions build). The simulated host is one x86-64 machine;
/// only [`MIN_NAPI_ID`] depends on it.
pub const NR_CPUS: u32 = 64;

/// The first NAPI id (`MIN_NAPI_ID`, include/net/busy_poll.h:
/// `NR_CPUS + 1`): ids below it are CPU numbers in busy-poll terms
/// (`sk_napi_id` may hold a `sender_cpu`), and `napi_hash_add` hands out
/// NAPI ids from it up, so the first NAPI registered gets this one.
/// netlink leaves out a pool's `napi-id` below it.
pub const MIN_NAPI_ID: u32 = NR_CPUS + 1;
