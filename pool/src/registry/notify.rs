//! The `page-pool` multicast group of the netdev netlink family: a pool's
//! creation, change and destruction announced to every subscriber
//! (`netdev_nl_page_pool_event`).

use std::sync::mpsc::{channel, Receiver, Sender};

use serde::Serialize;

use super::attrs::PagePoolInfo;

/// Which announcement (`NETDEV_CMD_PAGE_POOL_*_NTF`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PagePoolNtfCmd {
    /// `page-pool-add-ntf`: `page_pool_list`, at creation.
    #[serde(rename = "page-pool-add-ntf")]
    Add,
    /// `page-pool-change-ntf`: `page_pool_detached` (destroyed with pages
    /// in flight) or `page_pool_unreg_netdev` (moved to loopback).
    #[serde(rename = "page-pool-change-ntf")]
    Change,
    /// `page-pool-del-ntf`: `page_pool_unlist`, when the pool is freed.
    #[serde(rename = "page-pool-del-ntf")]
    Del,
}

impl PagePoolNtfCmd {
    /// The netlink name of the command.
    pub fn name(self) -> &'static str {
        match self {
            PagePoolNtfCmd::Add => "page-pool-add-ntf",
            PagePoolNtfCmd::Change => "page-pool-change-ntf",
            PagePoolNtfCmd::Del => "page-pool-del-ntf",
        }
    }
}

/// One announcement: the command and the pool as `page_pool_nl_fill`
/// shows it at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PagePoolNotification {
    /// Which announcement.
    pub cmd: PagePoolNtfCmd,
    /// The pool's `page-pool-get` attributes.
    pub info: PagePoolInfo,
}

/// A member of the `page-pool` group ([`crate::PoolRegistry::subscribe`]):
/// it receives every announcement made after it joined, in order, until
/// it is dropped.
#[derive(Debug)]
pub struct PagePoolSubscription {
    rx: Receiver<PagePoolNotification>,
}

impl PagePoolSubscription {
    /// The announcements received so far and not yet taken, oldest first.
    pub fn drain(&self) -> Vec<PagePoolNotification> {
        self.rx.try_iter().collect()
    }
}

/// The group's members (`genl_has_listeners` is "not empty").
#[derive(Debug, Default)]
pub(crate) struct Listeners {
    members: Vec<Sender<PagePoolNotification>>,
}

impl Listeners {
    /// A new member.
    pub(crate) fn join(&mut self) -> PagePoolSubscription {
        let (tx, rx) = channel();
        self.members.push(tx);
        PagePoolSubscription { rx }
    }

    /// `genl_has_listeners`: whether anyone would receive an announcement.
    #[inline]
    pub(crate) fn has_listeners(&self) -> bool {
        !self.members.is_empty()
    }

    /// `genlmsg_multicast_netns`: to every member; a member that was
    /// dropped leaves the group.
    pub(crate) fn multicast(&mut self, ntf: &PagePoolNotification) {
        tracing::trace!(
            cmd = ntf.cmd.name(),
            id = ntf.info.id,
            "page pool notification"
        );
        self.members.retain(|m| m.send(ntf.clone()).is_ok());
    }
}
