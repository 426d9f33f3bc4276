//! The mem id allocator and the id table of net/core/xdp.c (6.12):
//! `mem_id_pool` (an IDA handing out ids cyclically from `mem_id_next`,
//! `__mem_id_cyclic_get`) and `mem_id_ht` (the rhashtable from `mem.id` to
//! its `xdp_mem_allocator`). Both are global in the kernel, and global here
//! (one per process). An entry leaves the table when its page pool is
//! freed (`page_pool_free` calls the `mem_allocator_disconnect` that
//! `page_pool_use_xdp_mem` installed), i.e. once the pool was destroyed and
//! its last in-flight page came back: the table notices that at its next
//! use.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use pool::PagePoolHandle;

use super::XdpMemInfo;

/// `MEM_ID_MIN`: the first id handed out (0 means "no id").
pub const MEM_ID_MIN: u32 = 1;
/// `MEM_ID_MAX`: the IDA's exclusive upper bound is this value.
pub const MEM_ID_MAX: u32 = 0xFFFE;

/// `struct xdp_mem_allocator`: the table's entry.
#[derive(Clone, Debug)]
pub(super) struct MemAllocator {
    pub(super) mem: XdpMemInfo,
    pub(super) pool: PagePoolHandle,
}

#[derive(Debug)]
struct Table {
    entries: BTreeMap<u32, MemAllocator>,
    next: u32,
}

static MEM_ID_HT: Mutex<Table> = Mutex::new(Table {
    entries: BTreeMap::new(),
    next: MEM_ID_MIN,
});

fn table() -> std::sync::MutexGuard<'static, Table> {
    MEM_ID_HT.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Table {
    /// `mem_allocator_disconnect` of every pool freed since the last use.
    fn disconnect_freed(&mut self) {
        self.entries.retain(|id, xa| {
            let keep = !xa.pool.is_freed();
            if !keep {
                tracing::debug!(mem_id = id, pool = xa.pool.id(), "mem_allocator_disconnect");
            }
            keep
        });
    }

    /// `__mem_id_cyclic_get`: the first free id from `mem_id_next`, once
    /// wrapping back to [`MEM_ID_MIN`]; `None` is `-ENOSPC`.
    fn mem_id_cyclic_get(&mut self) -> Option<u32> {
        let free_from =
            |t: &Table, from: u32| (from..MEM_ID_MAX).find(|i| !t.entries.contains_key(i));
        let id = free_from(self, self.next).or_else(|| free_from(self, MEM_ID_MIN))?;
        self.next = id + 1;
        Some(id)
    }
}

/// `__xdp_reg_mem_model` for a page pool: a new id, entered in the table
/// with its allocator. `None` when every id is taken.
pub(super) fn xdp_reg_mem_model(mut mem: XdpMemInfo, pool: PagePoolHandle) -> Option<XdpMemInfo> {
    let mut t = table();
    t.disconnect_freed();
    mem.id = t.mem_id_cyclic_get()?;
    t.entries.insert(mem.id, MemAllocator { mem, pool });
    Some(mem)
}

/// `rhashtable_lookup(mem_id_ht, &id, mem_id_rht_params)`.
pub(super) fn rhashtable_lookup(id: u32) -> Option<MemAllocator> {
    let mut t = table();
    t.disconnect_freed();
    t.entries.get(&id).cloned()
}
