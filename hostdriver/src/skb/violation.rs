//! What the skb return hook catches, and the driver's log of it.

use std::fmt;
use std::sync::{Arc, Mutex};

use pool::HostAddr;

/// What the return hook caught.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkbViolationKind {
    /// An skb marked for recycle whose head memory is not a page pool page
    /// (e.g. a copy that inherited the mark). The recycle was refused and
    /// the memory freed normally.
    RecycleMarkOnForeignMemory {
        /// Host address of the head memory.
        head: HostAddr,
        /// What the head is ("heap copy", "plain page reference", "pool
        /// page").
        head_kind: &'static str,
        /// What the `pp_magic` check said about the head's page:
        /// [`pool::HostMemory::page_pool_of`] (`None`: not a page pool page).
        page_pool: Option<u32>,
    },
}

/// A recorded misuse of an skb.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkbViolation {
    /// Simulated cycle.
    pub cycle: u64,
    /// What.
    pub kind: SkbViolationKind,
}

impl fmt::Display for SkbViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SkbViolationKind::RecycleMarkOnForeignMemory {
                head,
                head_kind,
                page_pool,
            } => {
                write!(
                    f,
                    "cycle {}: skb marked for page pool recycle, but its head {head} is a {head_kind}",
                    self.cycle
                )?;
                match page_pool {
                    None => write!(f, ", not a page pool page (page_pool_page_is_pp() false)")?,
                    Some(id) => write!(
                        f,
                        " of page pool {id}, on which the skb holds no pp reference"
                    )?,
                }
                write!(f, "; recycle refused")
            }
        }
    }
}

/// The shared log of skb violations (one per driver, cloned into its skbs).
#[derive(Clone, Debug, Default)]
pub struct SkbViolations(Arc<Mutex<Vec<SkbViolation>>>);

impl SkbViolations {
    /// Every violation so far.
    pub fn list(&self) -> Vec<SkbViolation> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
    pub(super) fn record(&self, v: SkbViolation) {
        tracing::error!(cycle = v.cycle, "{v}");
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(v);
    }
}
