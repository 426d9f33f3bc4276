//! `faults.down_at_frames`: the interface taken down in the middle of the
//! traffic (`ip link set down`, or the close + open of a reconfiguration
//! such as `ethtool -G`) and brought up again `down_cycles` later.
//!
//! The close happens while frames keep arriving and the NIC's DMA is in
//! flight: the driver must stop the queues and wait for STATUS.IDLE before
//! it gives the posted buffers back. Like Linux, close destroys the page
//! pools (detached while the stack still holds their pages) and open
//! creates new ones after a soft reset; each close is recorded (a
//! `TrafficClose`, with its generation's pools) so the report can account
//! for all of them.
//!
//! Frames keep arriving while the interface is down (the NIC drops them,
//! STAT_RX_DROP_OFF). At the reopen the link is held (no new frame starts,
//! the one on the wire finishes) until the NIC has dropped it and is idle,
//! as a link partner sees the carrier drop while the NIC resets: the soft
//! reset clears the RX FIFO and the counters, so a frame cut or queued at
//! that moment would be lost without being counted anywhere.

use hostdriver::NicDevice;
use nic_hw::regs::{self, status};

use super::bench::Drv;
use super::format::FaultSection;
use super::traffic_close::TrafficClose;

/// The down/up schedule of a run and what happened so far.
#[derive(Debug, Default)]
pub(super) struct UpDown {
    /// Frame counts that take the interface down.
    at: Vec<u32>,
    /// Cycles it stays down.
    down_cycles: u64,
    /// Where the interface is in the schedule.
    phase: Phase,
    /// The closes so far.
    pub(super) closes: Vec<TrafficClose>,
}

/// Where the interface is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Phase {
    /// Up (or not yet closed).
    #[default]
    Up,
    /// Down until this cycle, frames arriving.
    Down(u64),
    /// Down, the link held until the NIC is idle, then open.
    Reopening,
}

/// What a step of the schedule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transition {
    /// Nothing.
    None,
    /// The interface went down.
    Closed,
    /// The interface came up again (new pools).
    Reopened,
}

impl UpDown {
    /// The schedule of `f`.
    pub(super) fn new(f: &FaultSection) -> Self {
        UpDown {
            at: f.down_at_frames.clone(),
            down_cycles: f.down_cycles,
            ..UpDown::default()
        }
    }

    /// Cycles the schedule adds to a run at most.
    pub(super) fn budget(&self) -> u64 {
        self.at.len() as u64 * self.down_cycles
    }

    /// Whether the interface is down now.
    pub(super) fn is_down(&self) -> bool {
        self.phase != Phase::Up
    }

    /// Whether every close of the schedule happened and was reopened.
    pub(super) fn finished(&self) -> bool {
        self.closes.len() == self.at.len() && !self.is_down()
    }

    /// Closes the interface once the next frame count has left the wire
    /// (`sent`), holds the link once its down time is over, opens it again
    /// once the NIC is idle.
    pub(super) fn step(&mut self, drv: &mut Drv, sent: u64) -> Result<Transition, String> {
        let cycle = drv.dev().cycle();
        match self.phase {
            Phase::Up => self.close_at_next_count(drv, sent, cycle),
            Phase::Down(until) => {
                if cycle >= until {
                    drv.dev_mut().inner_mut().rx_mut().hold(true);
                    self.phase = Phase::Reopening;
                }
                Ok(Transition::None)
            }
            Phase::Reopening => self.reopen_once_idle(drv, sent, cycle),
        }
    }

    /// The reopen, once the held link is between frames and the NIC idle.
    fn reopen_once_idle(
        &mut self,
        drv: &mut Drv,
        sent: u64,
        cycle: u64,
    ) -> Result<Transition, String> {
        if !drv.dev().inner().rx().between_frames() || !nic_idle(drv, cycle)? {
            return Ok(Transition::None);
        }
        let at = self.closes.last().map_or(0, |c| c.at_frame);
        drv.open()
            .map_err(|e| format!("cycle {cycle}: reopen after the close at frame {at}: {e}"))?;
        drv.dev_mut().inner_mut().rx_mut().hold(false);
        self.phase = Phase::Up;
        if let Some(c) = self.closes.last_mut() {
            c.reopened = Some(cycle);
        }
        tracing::info!(cycle, sent, "scenario: interface up again");
        Ok(Transition::Reopened)
    }

    /// The close, once the next frame count has left the wire.
    fn close_at_next_count(
        &mut self,
        drv: &mut Drv,
        sent: u64,
        cycle: u64,
    ) -> Result<Transition, String> {
        match self.at.get(self.closes.len()) {
            Some(&at) if sent >= u64::from(at) => {}
            _ => return Ok(Transition::None),
        }
        let nic_busy = !nic_idle(drv, cycle)?;
        tracing::info!(
            cycle,
            sent,
            nic_busy,
            "scenario: interface down under traffic"
        );
        let close = drv.close().map_err(|e| e.to_string());
        let pools = [("rx", drv.rx_pool()), ("tx", drv.tx_pool())]
            .into_iter()
            .filter_map(|(role, h)| Some((role, h?.clone())))
            .collect();
        let failed = close.as_ref().err().cloned();
        self.closes.push(TrafficClose {
            at_frame: sent,
            cycle,
            nic_busy,
            reopened: None,
            close,
            pools,
        });
        if let Some(e) = failed {
            return Err(format!("cycle {cycle}: close at frame {sent}: {e}"));
        }
        self.phase = Phase::Down(cycle + self.down_cycles);
        Ok(Transition::Closed)
    }
}

/// STATUS.IDLE: no AXI transaction outstanding, no frame being moved, both
/// FIFOs empty.
fn nic_idle(drv: &mut Drv, cycle: u64) -> Result<bool, String> {
    let st = drv
        .dev_mut()
        .mmio_read(regs::STATUS)
        .map_err(|e| format!("cycle {cycle}: reading STATUS: {e}"))?;
    Ok(st & status::IDLE != 0)
}

#[cfg(test)]
mod tests {
    use crate::scenario::{run, Bug, Mode, Report, RunOptions, Scenario, ScenarioError};

    fn updown() -> Scenario {
        Scenario::load("updown").expect("built-in scenario")
    }

    fn go(sc: &Scenario) -> Report {
        run(sc, RunOptions::default()).expect("scenario starts")
    }

    /// The field a broken `[faults]` section is refused for.
    fn refused(faults: &str) -> String {
        let base = updown().name;
        let text = crate::scenario::BUILTIN
            .iter()
            .find(|(n, _)| *n == base)
            .unwrap()
            .1;
        let head = text.split("[faults]").next().unwrap();
        match Scenario::parse("u.toml", &format!("{head}[faults]\n{faults}\n")) {
            Err(ScenarioError::Invalid { file, field, .. }) => {
                assert_eq!(file, "u.toml");
                field.to_string()
            }
            other => panic!("{faults}: expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn down_fields_are_validated_naming_the_field() {
        for (faults, field) in [
            (
                "down_at_frames = [40, 40]\ndown_cycles = 10",
                "faults.down_at_frames",
            ),
            (
                "down_at_frames = [100, 40]\ndown_cycles = 10",
                "faults.down_at_frames",
            ),
            (
                "down_at_frames = [0]\ndown_cycles = 10",
                "faults.down_at_frames",
            ),
            (
                "down_at_frames = [161]\ndown_cycles = 10",
                "faults.down_at_frames",
            ),
            ("down_at_frames = [40]", "faults.down_cycles"),
            (
                "down_at_frames = [40]\ndown_cycles = 1000001",
                "faults.down_cycles",
            ),
            ("down_cycles = 10", "faults.down_cycles"),
        ] {
            assert_eq!(refused(faults), field, "{faults}");
        }
        let mut sc = updown();
        sc.traffic.direction = crate::scenario::Direction::Tx;
        sc.stack.echo = false;
        let e = sc.validate("t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml: field `traffic.direction`"), "{e}");
        assert!(e.contains("frames on the wire need direction"), "{e}");
    }

    /// Frames in = delivered + dropped by reason over two closes, pages all
    /// back in every pool generation, no mapping left: page and frag
    /// buffers, coherent and non-coherent memory.
    #[test]
    fn books_balance_over_down_and_up_in_both_memory_modes() {
        for coherent in [true, false] {
            for mode in [Mode::Page, Mode::Frag] {
                let mut sc = updown();
                sc.traffic.frames = 120;
                sc.memory.set_coherent(coherent);
                sc.driver.pool_sync_dev = coherent;
                sc.driver.mode = mode;
                let r = go(&sc);
                let what = format!("coherent {coherent}, {mode:?}");
                assert!(r.passed(), "{what}:\n{}", r.render_human());
                let a = &r.accounts;
                assert_eq!(a.traffic_closes.len(), 2, "{what}");
                assert_eq!(a.generations.len(), 2, "{what}");
                let hw = a.counts.hw;
                assert!(hw.hw_rx_drop_off > 0, "{what}: frames arrived while down");
                assert_eq!(hw.rx_frames_in(), 120, "{what}");
                assert_eq!(a.counts.stats.rx_packets, hw.hw_rx_frames, "{what}");
                assert_eq!(a.wire.stack_frames, hw.hw_rx_frames, "{what}");
                let drained: usize = a
                    .traffic_closes
                    .iter()
                    .map(|c| c.close.as_ref().map_or(0, |r| r.rx_buffers_released))
                    .sum();
                assert!(drained > 0, "{what}: posted buffers given back at close");
            }
        }
    }

    /// Every default seed closes with the NIC busy: a close that does not
    /// wait for STATUS.IDLE recycles a buffer the NIC is writing, and the
    /// page pool's checker says so, on every seed; the correct close
    /// passes on the same seeds.
    #[test]
    fn a_close_without_waiting_for_idle_is_caught_on_every_seed() {
        for seed in 1..=3 {
            let mut sc = updown();
            sc.traffic.seed = seed;
            let r = go(&sc);
            assert!(r.passed(), "seed {seed}:\n{}", r.render_human());
            assert!(
                r.accounts.traffic_closes.iter().all(|c| c.nic_busy),
                "seed {seed}: a close found the NIC idle:\n{}",
                r.render_human()
            );
            sc.driver.bug = Bug::CloseWithoutWaitingIdle;
            let r = go(&sc);
            let text = r.render_human();
            assert!(!r.passed(), "seed {seed}: bug not caught:\n{text}");
            assert!(
                text.contains("pool/recycle-during-dma"),
                "seed {seed}: not caught as recycle during DMA:\n{text}"
            );
        }
    }
}
