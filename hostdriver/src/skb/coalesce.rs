//! `skb_try_coalesce` (net/core/skbuff.c, 6.12): the source skb's head and
//! frags become frags of the target.

use std::sync::Arc;

use super::shinfo::{SkbFrag, SkbMem};
use super::SkBuff;

/// What [`SkBuff::try_coalesce`] does with a page pool head page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoalescePolicy {
    /// 6.12's `skb_try_coalesce`: both skbs must agree on `pp_recycle`
    /// (`to->pp_recycle != from->pp_recycle` refuses), and the head page
    /// becomes a frag with its pp reference, so it is recycled when the
    /// target is freed (`skb_page_unref` -> `napi_pp_put_page`).
    KeepPoolState,
    /// `page_pool_release_page` before the page becomes a fragment (the
    /// seed notes' rule, kernels before 6.4): the pool unmaps it and lets
    /// go of it (no longer in flight, no recycle stat moves), and the
    /// fragment holds the plain page reference the pool held. A page with
    /// other pp references (a fragment page shared with other buffers)
    /// cannot be released: the coalesce is refused.
    ReleasePoolState,
    /// Refuse to coalesce a pool page.
    Refuse,
}

/// Why a coalesce was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoalesceError {
    /// The source's head is a page pool page and the policy refuses.
    #[error("cannot coalesce: the source skb's head is a page of page pool {pool}; pool pages may not become fragments")]
    PoolPageHead {
        /// The page's pool.
        pool: u32,
    },
    /// [`CoalescePolicy::ReleasePoolState`], but the page pool refused to
    /// release the page (it has other pp references, e.g. fragments of the
    /// same page in other buffers).
    #[error("cannot coalesce: page pool {pool} cannot release the source skb's head page (other pp references)")]
    PoolPageNotReleasable {
        /// The page's pool.
        pool: u32,
    },
    /// `skb_cloned(to)`: the target's data is shared.
    #[error("cannot coalesce into a cloned skb (skb_cloned(to))")]
    TargetCloned,
    /// The source's data is shared with a clone (`skb_head_is_locked`;
    /// the kernel would take frag references instead, not modelled).
    #[error("cannot coalesce a cloned source skb (skb_head_is_locked(from))")]
    SourceCloned,
    /// [`CoalescePolicy::KeepPoolState`]: `to->pp_recycle !=
    /// from->pp_recycle` (6.12 avoids mixing pool and other pages in one
    /// skb).
    #[error("cannot coalesce: pp_recycle differs (to {to}, from {from})")]
    PpRecycleMismatch {
        /// The target's mark.
        to: bool,
        /// The source's mark.
        from: bool,
    },
}

impl SkBuff {
    /// `skb_try_coalesce(self, from)`: appends `from`'s data as fragments
    /// of `self`. A page pool head of `from` keeps its pool state
    /// ([`CoalescePolicy::KeepPoolState`]), first loses it
    /// ([`CoalescePolicy::ReleasePoolState`], `page_pool_release_page`), or
    /// the coalesce is refused; a refused `from` is handed back untouched.
    pub fn try_coalesce(
        &mut self,
        mut from: SkBuff,
        policy: CoalescePolicy,
    ) -> Result<(), (SkBuff, CoalesceError)> {
        if let Err(e) = self.coalesce_check(&from, policy) {
            return Err((from, e));
        }
        let Some(mut data) = from.shared.take().and_then(Arc::into_inner) else {
            return Ok(());
        };
        let head = match data.head.take() {
            Some(SkbMem::Pp { page, pool }) if policy == CoalescePolicy::ReleasePoolState => {
                // page_pool_release_page: unmapped, out of the pool's
                // in-flight count; the pool's page reference becomes the
                // fragment's.
                match pool.release_page(page) {
                    Ok(r) => Some(SkbMem::Page(Arc::new(r))),
                    Err(page) => {
                        let id = page.pool_id();
                        data.head = Some(SkbMem::Pp { page, pool });
                        from.shared = Some(Arc::new(data));
                        return Err((from, CoalesceError::PoolPageNotReleasable { pool: id }));
                    }
                }
            }
            other => other,
        };
        let to = Arc::get_mut(self.shared.get_or_insert_with(Default::default))
            .expect("checked: the target is not cloned");
        match head {
            Some(mem) if from.head_len > 0 => to.frags.push(SkbFrag {
                mem,
                off: from.data_off,
                len: from.head_len,
            }),
            // Nothing to steal: the head stays with `from`, freed with it.
            other => data.head = other,
        }
        to.frags.append(&mut data.frags);
        self.truesize += from.truesize;
        if data.head.is_some() {
            from.shared = Some(Arc::new(data));
        }
        Ok(())
    }

    fn coalesce_check(&self, from: &SkBuff, policy: CoalescePolicy) -> Result<(), CoalesceError> {
        if self.skb_cloned() {
            return Err(CoalesceError::TargetCloned);
        }
        if from.skb_cloned() {
            return Err(CoalesceError::SourceCloned);
        }
        match (policy, from.head_pool()) {
            (CoalescePolicy::KeepPoolState, _) if self.pp_recycle != from.pp_recycle => {
                Err(CoalesceError::PpRecycleMismatch {
                    to: self.pp_recycle,
                    from: from.pp_recycle,
                })
            }
            (CoalescePolicy::Refuse, Some(pool)) => Err(CoalesceError::PoolPageHead { pool }),
            _ => Ok(()),
        }
    }
}
