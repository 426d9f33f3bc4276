//! The scenario file: its sections and fields (with their defaults), the
//! built-in scenarios, and loading by name or path.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use pool::{Coherence, Platform};
use serde::{Deserialize, Serialize};

/// The scenarios shipped with the command (`cosim/scenarios/*.toml`), in
/// `cosim list` order.
pub const BUILTIN: &[(&str, &str)] = &[
    ("rx_small", include_str!("../../scenarios/rx_small.toml")),
    ("rx_imix", include_str!("../../scenarios/rx_imix.toml")),
    ("tx_only", include_str!("../../scenarios/tx_only.toml")),
    ("loopback", include_str!("../../scenarios/loopback.toml")),
    (
        "xdp_drop_flood",
        include_str!("../../scenarios/xdp_drop_flood.toml"),
    ),
    (
        "xdp_tx_reflect",
        include_str!("../../scenarios/xdp_tx_reflect.toml"),
    ),
    (
        "xdp_redirect",
        include_str!("../../scenarios/xdp_redirect.toml"),
    ),
    ("pass_hold", include_str!("../../scenarios/pass_hold.toml")),
    (
        "pass_napi_batch",
        include_str!("../../scenarios/pass_napi_batch.toml"),
    ),
    (
        "frag_small",
        include_str!("../../scenarios/frag_small.toml"),
    ),
    (
        "starvation",
        include_str!("../../scenarios/starvation.toml"),
    ),
    (
        "numa_waive",
        include_str!("../../scenarios/numa_waive.toml"),
    ),
    (
        "high_order",
        include_str!("../../scenarios/high_order.toml"),
    ),
    (
        "burst_over_budget",
        include_str!("../../scenarios/burst_over_budget.toml"),
    ),
    (
        "slow_memory",
        include_str!("../../scenarios/slow_memory.toml"),
    ),
    (
        "non_coherent",
        include_str!("../../scenarios/non_coherent.toml"),
    ),
    ("echo", include_str!("../../scenarios/echo.toml")),
    (
        "wide_datapath",
        include_str!("../../scenarios/wide_datapath.toml"),
    ),
    ("jumbo", include_str!("../../scenarios/jumbo.toml")),
    (
        "coal_timer",
        include_str!("../../scenarios/coal_timer.toml"),
    ),
    (
        "full_buffer",
        include_str!("../../scenarios/full_buffer.toml"),
    ),
    (
        "full_buffer_driver_sync",
        include_str!("../../scenarios/full_buffer_driver_sync.toml"),
    ),
    (
        "pool_ring_full",
        include_str!("../../scenarios/pool_ring_full.toml"),
    ),
    (
        "short_buffer",
        include_str!("../../scenarios/short_buffer.toml"),
    ),
    (
        "pass_other_napi",
        include_str!("../../scenarios/pass_other_napi.toml"),
    ),
    ("updown", include_str!("../../scenarios/updown.toml")),
];

/// The scenario `cosim demo` runs (`cosim/scenarios/demo.toml`; not one of
/// [`BUILTIN`], which `cosim list` and the snapshot tests go through).
pub const DEMO: &str = include_str!("../../scenarios/demo.toml");

/// A scenario file that is missing, unreadable, malformed or out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// Neither a built-in name nor a readable file.
    #[error(
        "unknown scenario `{name}`: not a built-in scenario (see `cosim list`) and no such file"
    )]
    Unknown {
        /// What was asked for.
        name: String,
    },
    /// The file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// Path.
        file: String,
        /// The OS error.
        reason: String,
    },
    /// TOML syntax, an unknown field, or a value of the wrong type.
    #[error("{file}: {reason}")]
    Parse {
        /// Path or built-in name.
        file: String,
        /// The TOML error (with line, column and field).
        reason: String,
    },
    /// A value outside its range, or fields that contradict each other.
    #[error("{file}: field `{field}` = {value}: {why}")]
    Invalid {
        /// Path or built-in name.
        file: String,
        /// Dotted field name (`driver.budget`).
        field: &'static str,
        /// The offending value.
        value: String,
        /// The rule.
        why: String,
    },
}

/// Frame lengths: one size, a uniform range, or the simple IMIX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameSize {
    /// Every frame this long.
    Fixed(u32),
    /// Uniform in `lo..=hi`, drawn from the seed.
    Range(u32, u32),
    /// Simple IMIX: 64, 594 and 1518 bytes in the ratio 7:4:1, drawn from
    /// the seed.
    Imix,
}

/// The simple IMIX sizes and weights (frames without FCS).
pub const IMIX: [(u32, u32); 3] = [(64, 7), (594, 4), (1518, 1)];

impl FrameSize {
    /// Largest frame it can produce.
    pub fn max(&self) -> u32 {
        match *self {
            FrameSize::Fixed(n) => n,
            FrameSize::Range(_, hi) => hi,
            FrameSize::Imix => 1518,
        }
    }
    /// Smallest frame it can produce.
    pub fn min(&self) -> u32 {
        match *self {
            FrameSize::Fixed(n) => n,
            FrameSize::Range(lo, _) => lo,
            FrameSize::Imix => 64,
        }
    }
}

impl fmt::Display for FrameSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameSize::Fixed(n) => write!(f, "{n}"),
            FrameSize::Range(a, b) => write!(f, "{a}..={b}"),
            FrameSize::Imix => f.write_str("imix"),
        }
    }
}

impl FromStr for FrameSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let num = |t: &str| {
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{s}`: expected a size (64), a range (60..=1518) or `imix`"))
        };
        if s.eq_ignore_ascii_case("imix") {
            return Ok(FrameSize::Imix);
        }
        if let Some((a, b)) = s.split_once("..=") {
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(format!("`{s}`: empty range ({a} > {b})"));
            }
            return Ok(FrameSize::Range(a, b));
        }
        if s.contains("..") {
            return Err(format!("`{s}`: write ranges inclusive, as `60..=1518`"));
        }
        Ok(FrameSize::Fixed(num(s)?))
    }
}

impl Serialize for FrameSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for FrameSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            N(u32),
            S(String),
        }
        match Repr::deserialize(d)? {
            Repr::N(n) => Ok(FrameSize::Fixed(n)),
            Repr::S(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Where the frames go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the wire into the NIC's RX port.
    #[default]
    Rx,
    /// Sent by the driver (`xmit`) out of the TX port.
    Tx,
    /// Sent by the driver with CTRL.LOOPBACK: TX feeds RX inside the NIC.
    Loopback,
}

/// The XDP verdict (no program at all when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No XDP program: every frame goes to the stack (PASS path, RX pool
    /// mapped DMA_FROM_DEVICE).
    None,
    /// XDP_PASS.
    Pass,
    /// XDP_DROP.
    Drop,
    /// XDP_TX (reflected out of the same port, same page).
    Tx,
    /// XDP_REDIRECT to this interface's own TX ring.
    Redirect,
    /// XDP_ABORTED.
    Aborted,
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "none" => Verdict::None,
            "pass" => Verdict::Pass,
            "drop" => Verdict::Drop,
            "tx" => Verdict::Tx,
            "redirect" => Verdict::Redirect,
            "aborted" => Verdict::Aborted,
            _ => {
                return Err(format!(
                    "`{s}`: expected none, pass, drop, tx, redirect or aborted"
                ))
            }
        })
    }
}

/// RX buffer layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One frame per page.
    #[default]
    Page,
    /// Page fragments.
    Frag,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "page" => Ok(Mode::Page),
            "frag" => Ok(Mode::Frag),
            _ => Err(format!("`{s}`: expected page or frag")),
        }
    }
}

/// Where the stack frees PASS skbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Consume {
    /// Queued on the socket and freed later from process context: pages go
    /// back through the pool's ring.
    #[default]
    Process,
    /// Consumed inside the NAPI poll (`napi_consume_skb`): pages recycle
    /// directly into the alloc cache.
    Napi,
    /// Handed on by the driver's poll and consumed (`napi_consume_skb`) in
    /// the poll of another NAPI instance the bench owns: another CPU's
    /// backlog NAPI (RPS), or the TX-completion NAPI of a device the frame
    /// was forwarded to. That is not the pool's NAPI, so the kernel's
    /// `napi_pp_put_page` sends the pages to the pool's ring.
    OtherNapi,
}

/// `[traffic]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Traffic {
    /// Frames to send (1..=1_000_000).
    pub frames: u32,
    /// Frame sizes.
    pub size: FrameSize,
    /// Where they go.
    pub direction: Direction,
    /// Seed of frame sizes, contents and bus timing.
    pub seed: u64,
    /// Frames offered back to back before a gap; 0 = all at once.
    pub burst: u32,
    /// Idle cycles after a burst has left the wire.
    pub gap_cycles: u64,
}

impl Default for Traffic {
    fn default() -> Self {
        Self {
            frames: 64,
            size: FrameSize::Fixed(64),
            direction: Direction::Rx,
            seed: 1,
            burst: 0,
            gap_cycles: 0,
        }
    }
}

/// `[driver]`: the driver's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriverSection {
    /// Buffer layout.
    pub mode: Mode,
    /// Order of the RX pool's pages: 0 (4 KiB) ..= 3 (32 KiB).
    pub page_order: u32,
    /// XDP verdict for every frame.
    pub verdict: Verdict,
    /// RX_HEADROOM (the pool's offset).
    pub headroom: u32,
    /// Bytes after the buffer (skb_shared_info).
    pub tailroom: u32,
    /// MAX_FRAME_LEN.
    pub max_frame_len: u32,
    /// Bytes posted per RX descriptor (`ethtool -G rx-buf-len`; 0 = the
    /// whole buffer space): a longer frame is dropped as TOO_LONG.
    pub rx_buf_len: u32,
    /// RX ring entries (power of two, 2..=4096).
    pub rx_ring: u16,
    /// TX ring entries (power of two, 2..=4096).
    pub tx_ring: u16,
    /// NAPI budget.
    pub budget: u32,
    /// IRQ_COAL_FRAMES.
    pub coal_frames: u32,
    /// IRQ_COAL_CYCLES.
    pub coal_cycles: u32,
    /// PP_FLAG_DMA_SYNC_DEV (the pool syncs for the device) or the driver
    /// syncs at refill.
    pub pool_sync_dev: bool,
    /// The RX pool's recycle ring size (0 = default 1024).
    pub pool_size: u32,
    /// XDP_TX frames waiting for TX ring space, at most.
    pub tx_backlog: u32,
    /// A deliberate driver bug, to see the checks catch it: `none`,
    /// `skip_rx_sync_for_cpu`, `skip_refill_sync_for_device`,
    /// `skip_tx_sync_for_device` or `close_without_waiting_idle`
    /// (hostdriver's `TestSwitches`).
    pub bug: Bug,
}

/// `driver.bug`: hostdriver's test switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Bug {
    /// A correct driver.
    #[default]
    None,
    /// No `dma_sync_single_range_for_cpu` on received buffers.
    SkipRxSyncForCpu,
    /// No `sync_for_device` when posting a buffer (needs
    /// `pool_sync_dev = false`).
    SkipRefillSyncForDevice,
    /// No `sync_for_device` before handing a TX buffer to the device.
    SkipTxSyncForDevice,
    /// Close without waiting for STATUS.IDLE (it shows when
    /// `faults.down_at_frames` closes the interface under traffic).
    CloseWithoutWaitingIdle,
}

impl Default for DriverSection {
    fn default() -> Self {
        let d = hostdriver::DriverConfig::default();
        Self {
            mode: Mode::Page,
            page_order: d.rx_page_order,
            verdict: Verdict::None,
            headroom: d.headroom,
            tailroom: d.tailroom,
            max_frame_len: d.max_frame_len,
            rx_buf_len: d.rx_buf_len,
            rx_ring: 64,
            tx_ring: 64,
            budget: d.budget as u32,
            coal_frames: d.coal_frames,
            coal_cycles: d.coal_cycles,
            pool_sync_dev: d.pool_sync_dev,
            pool_size: 0,
            tx_backlog: d.tx_backlog as u32,
            bug: Bug::None,
        }
    }
}

/// `[memory]`: host memory and its bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemorySection {
    /// The platform, one of `x86-64` (coherent DMA, 64-byte lines,
    /// fragments not rounded), `arm64-64` (non-coherent, 64-byte lines,
    /// fragments rounded to 128) or `arm64-128` (non-coherent, 128-byte
    /// lines, fragments rounded to 128). Absent: the one `coherent` names,
    /// else x86-64. A loaded scenario always has both fields set
    /// ([`MemorySection::platform`]).
    #[serde(default)]
    pub platform: Option<Platform>,
    /// The older way to name the platform: `true` is x86-64, `false`
    /// arm64-64 (the 64-byte lines the model always had). Given with
    /// `platform`, the two must agree.
    #[serde(default)]
    pub coherent: Option<bool>,
    /// Cycles from AR to the first R beat.
    pub read_latency: u32,
    /// Cycles from the last W beat to B.
    pub write_latency: u32,
    /// Percent chance per cycle that each AXI ready/valid is withheld.
    pub backpressure: u32,
    /// Answer bursts of different AXI IDs out of order.
    pub reorder_ids: bool,
    /// Percent chance per cycle that the wire's TX sink is not ready.
    pub tx_stall: u32,
    /// NUMA nodes.
    pub nodes: u32,
    /// Page frames per node.
    pub pages_per_node: u32,
    /// A deliberate AXI protocol violation by the memory model, to see the
    /// RTL's assertions fire: `none` or `extra_rbeat` (one R beat more than
    /// the burst has). (The model's "drop VALID early" misbehaviours need a
    /// master that withholds READY; this NIC never does.)
    pub misbehave: MemMisbehave,
}

/// `memory.misbehave`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MemMisbehave {
    /// A correct memory.
    #[default]
    None,
    /// One R beat more than the burst has.
    ExtraRbeat,
}

impl MemorySection {
    /// The platform: `platform`, else the one `coherent` names, else
    /// x86-64.
    pub fn platform(&self) -> Platform {
        match (self.platform, self.coherent) {
            (Some(p), _) => p,
            (None, Some(true)) | (None, None) => Platform::X86_64,
            (None, Some(false)) => Platform::Arm64Line64,
        }
    }

    /// Sets the platform, and `coherent` to match.
    pub fn set_platform(&mut self, p: Platform) {
        self.platform = Some(p);
        self.coherent = Some(p.coherence() == Coherence::Coherent);
    }

    /// Sets coherent DMA (x86-64) or not: a platform already non-coherent
    /// stays as it is, a coherent one becomes arm64-64.
    pub fn set_coherent(&mut self, coherent: bool) {
        let p = match (coherent, self.platform()) {
            (true, _) => Platform::X86_64,
            (false, Platform::X86_64) => Platform::Arm64Line64,
            (false, p) => p,
        };
        self.set_platform(p);
    }

    /// Whether DMA is coherent on the platform.
    pub fn is_coherent(&self) -> bool {
        self.platform().coherence() == Coherence::Coherent
    }
}

impl Default for MemorySection {
    fn default() -> Self {
        Self {
            platform: Some(Platform::X86_64),
            coherent: Some(true),
            read_latency: 4,
            write_latency: 2,
            backpressure: 0,
            reorder_ids: false,
            tx_stall: 0,
            nodes: 1,
            pages_per_node: 8192,
            misbehave: MemMisbehave::None,
        }
    }
}

/// `[stack]`: what the network stack does with PASS skbs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StackSection {
    /// Where skbs are freed.
    pub consume: Consume,
    /// Skbs the stack holds before freeing: with `consume = "napi"` or
    /// `"other_napi"`, it frees all of them in one poll once this many are
    /// held; with
    /// `"process"`, it keeps the newest `hold` and frees older ones.
    pub hold: u32,
    /// The stack copies every PASS frame into fragments of its own page
    /// pool of this order (no DMA mapping; a socket's page_frag-like
    /// cache), freeing the driver's page at once; 0 = no copy.
    pub copy_pool_order: u32,
    /// The stack sends every PASS frame back out (`xmit`, from process
    /// context), like an echo server: RX and TX both ways.
    pub echo: bool,
}

impl Default for StackSection {
    fn default() -> Self {
        Self {
            consume: Consume::Process,
            hold: 0,
            copy_pool_order: 0,
            echo: false,
        }
    }
}

/// `[faults]`: failures injected while the traffic runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FaultSection {
    /// Once this many frames have left the wire, every RX pool allocation
    /// fails (`FailureInjection::NextN(u64::MAX)` on the RX pool).
    pub starve_from_frame: Option<u32>,
    /// Once this many frames have left the wire, allocations work again.
    pub starve_until_frame: Option<u32>,
    /// Once this many frames have left the wire, the "current CPU" moves to
    /// NUMA node 1 (`numa_mem_id()`): the RX pool (NUMA_NO_NODE) then
    /// prefers node 1 and waives ring pages from node 0.
    pub numa_switch_at_frame: Option<u32>,
    /// Interface down/up under traffic (`ip link set down`, or the close +
    /// open of a reconfiguration): once each of these many frames (strictly
    /// increasing) has left the wire, the driver closes the interface while
    /// frames keep arriving and DMA is in flight, stays down
    /// `down_cycles`, then opens it again (a soft reset, new rings, new
    /// page pools) and the traffic goes on.
    pub down_at_frames: Vec<u32>,
    /// Cycles the interface stays down at each of `down_at_frames` (the
    /// NIC drops what arrives meanwhile: STAT_RX_DROP_OFF).
    pub down_cycles: u64,
    /// Memory pressure from the start: each node's emergency reserve, in
    /// frames (`pool::MemConfig::pfmemalloc_reserve`). Pages allocated
    /// while a node has no more free frames than this are pfmemalloc, and
    /// the pools release them instead of recycling
    /// (`__page_pool_page_can_be_recycled`: `recycle-released-refcnt`).
    pub pfmemalloc_reserve: u32,
}

/// A scenario: name, description and the six sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (`cosim run <name>`).
    pub name: String,
    /// One line for `cosim list`.
    pub description: String,
    /// Traffic.
    #[serde(default)]
    pub traffic: Traffic,
    /// Driver configuration.
    #[serde(default)]
    pub driver: DriverSection,
    /// Memory and bus.
    #[serde(default)]
    pub memory: MemorySection,
    /// The stack's behaviour.
    #[serde(default)]
    pub stack: StackSection,
    /// Injected failures.
    #[serde(default)]
    pub faults: FaultSection,
    /// `[nic]`: which verilated build of the NIC runs the scenario.
    #[serde(default)]
    pub nic: crate::ModelConfig,
}

impl Scenario {
    /// Parses and validates TOML text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let mut sc: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: file.to_string(),
            reason: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        sc.validate(file)?;
        let platform = sc.memory.platform();
        sc.memory.set_platform(platform);
        Ok(sc)
    }

    /// A built-in scenario by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(&format!("built-in scenario {name}"), text);
        }
        let p = Path::new(name_or_path);
        let looks_like_path = name_or_path.ends_with(".toml")
            || name_or_path.contains('/')
            || name_or_path.contains(std::path::MAIN_SEPARATOR);
        if !looks_like_path && !p.exists() {
            return Err(ScenarioError::Unknown {
                name: name_or_path.to_string(),
            });
        }
        let text = std::fs::read_to_string(p).map_err(|e| ScenarioError::Read {
            file: name_or_path.to_string(),
            reason: e.to_string(),
        })?;
        Scenario::parse(name_or_path, &text)
    }

    /// Every built-in scenario.
    pub fn builtins() -> Result<Vec<Scenario>, ScenarioError> {
        BUILTIN
            .iter()
            .map(|(n, t)| Scenario::parse(&format!("built-in scenario {n}"), t))
            .collect()
    }

    /// The scenario `cosim demo` runs ([`DEMO`]).
    pub fn demo() -> Result<Scenario, ScenarioError> {
        Scenario::parse("built-in scenario demo", DEMO)
    }

    /// The NIC model this scenario runs on.
    pub fn model_config(&self) -> crate::ModelConfig {
        self.nic
    }

    /// The driver configuration this scenario asks for.
    pub fn driver_config(&self) -> hostdriver::DriverConfig {
        let d = &self.driver;
        hostdriver::DriverConfig {
            name: self.name.clone(),
            rx_ring_size: d.rx_ring,
            tx_ring_size: d.tx_ring,
            headroom: d.headroom,
            tailroom: d.tailroom,
            max_frame_len: d.max_frame_len,
            rx_buf_len: d.rx_buf_len,
            rx_mode: match d.mode {
                Mode::Page => hostdriver::RxMode::Page,
                Mode::Frag => hostdriver::RxMode::Frag,
            },
            rx_page_order: d.page_order,
            pool_sync_dev: d.pool_sync_dev,
            budget: d.budget as usize,
            coal_frames: d.coal_frames,
            coal_cycles: d.coal_cycles,
            loopback: self.traffic.direction == Direction::Loopback,
            tx_backlog: d.tx_backlog as usize,
            pool_size: d.pool_size as usize,
            test: hostdriver::TestSwitches {
                skip_rx_sync_for_cpu: d.bug == Bug::SkipRxSyncForCpu,
                skip_refill_sync_for_device: d.bug == Bug::SkipRefillSyncForDevice,
                skip_tx_sync_for_device: d.bug == Bug::SkipTxSyncForDevice,
                close_without_waiting_idle: d.bug == Bug::CloseWithoutWaitingIdle,
            },
            ..hostdriver::DriverConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::generate_frames;

    #[test]
    fn builtins_parse_validate_and_are_named_like_their_files() {
        let all = Scenario::builtins().expect("every built-in scenario is valid");
        assert_eq!(all.len(), BUILTIN.len());
        for (sc, (key, _)) in all.iter().zip(BUILTIN) {
            assert_eq!(&sc.name, key);
            assert!(!sc.description.is_empty());
        }
    }

    #[test]
    fn the_demo_scenario_parses_and_validates() {
        let sc = Scenario::demo().expect("the demo scenario is valid");
        assert_eq!(sc.name, "demo");
        assert!(sc.stack.echo);
        assert!(BUILTIN.iter().all(|(n, _)| *n != "demo"));
    }

    #[test]
    fn frame_size_syntax() {
        for (s, want) in [
            ("64", FrameSize::Fixed(64)),
            ("60..=1518", FrameSize::Range(60, 1518)),
            ("IMIX", FrameSize::Imix),
        ] {
            let got: FrameSize = s.parse().unwrap();
            assert_eq!(got, want);
            assert_eq!(got.to_string().parse::<FrameSize>().unwrap(), want);
        }
        assert!("60..1518".parse::<FrameSize>().unwrap_err().contains("..="));
        assert!("100..=60"
            .parse::<FrameSize>()
            .unwrap_err()
            .contains("empty"));
        assert!("big".parse::<FrameSize>().is_err());
    }

    #[test]
    fn generated_frames_are_seeded_and_sized() {
        let a = generate_frames(1200, FrameSize::Imix, 9);
        assert_eq!(a, generate_frames(1200, FrameSize::Imix, 9));
        assert_ne!(a, generate_frames(1200, FrameSize::Imix, 10));
        let count = |l: usize| a.iter().filter(|f| f.len() == l).count();
        let (s, m, l) = (count(64), count(594), count(1518));
        assert_eq!(s + m + l, 1200);
        // 7:4:1 = 700:400:100, within sampling noise.
        assert!((620..780).contains(&s) && (330..470).contains(&m) && (60..140).contains(&l));
        let r = generate_frames(300, FrameSize::Range(60, 70), 1);
        assert!(r.iter().all(|f| (60..=70).contains(&f.len())));
        assert_eq!(&r[5][14..18], &5u32.to_be_bytes(), "sequence number");
    }

    #[test]
    fn other_napi_consume_parses_and_the_process_only_copy_is_refused_with_it() {
        let base = BUILTIN[0].1;
        let stack = "\n[stack]\nconsume = \"other_napi\"\n";
        let sc = Scenario::parse("o.toml", &format!("{base}{stack}")).unwrap();
        assert_eq!(sc.stack.consume, Consume::OtherNapi);
        let e = Scenario::parse("p.toml", &format!("{base}{stack}copy_pool_order = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.toml: field `stack.copy_pool_order` = 1") && e.contains("\"process\""),
            "{e}"
        );
    }

    /// `[memory] platform` names the platform; the older `coherent`
    /// maps onto one (true: x86-64, false: arm64-64); both given must
    /// agree; a bad name is a parse error naming the file and the choices.
    #[test]
    fn platform_and_coherent_name_one_platform() {
        let base = BUILTIN[0].1;
        assert!(!base.contains("[memory]"), "rx_small has no [memory] table");
        let parse = |mem: &str| Scenario::parse("m.toml", &format!("{base}\n[memory]\n{mem}\n"));
        for (mem, want) in [
            ("", Platform::X86_64),
            ("coherent = true", Platform::X86_64),
            ("coherent = false", Platform::Arm64Line64),
            ("platform = \"arm64-128\"", Platform::Arm64Line128),
            (
                "platform = \"arm64-64\"\ncoherent = false",
                Platform::Arm64Line64,
            ),
            ("platform = \"x86-64\"\ncoherent = true", Platform::X86_64),
        ] {
            let sc = parse(mem).unwrap_or_else(|e| panic!("{mem:?}: {e}"));
            assert_eq!(sc.memory.platform(), want, "{mem:?}");
            assert_eq!(
                sc.memory.platform,
                Some(want),
                "{mem:?}: stored after parse"
            );
            assert_eq!(sc.memory.is_coherent(), want == Platform::X86_64, "{mem:?}");
        }
        for (mem, want) in [
            (
                "platform = \"x86-64\"\ncoherent = false",
                "contradicts memory.platform = \"x86-64\" (coherent DMA)",
            ),
            (
                "platform = \"arm64-128\"\ncoherent = true",
                "contradicts memory.platform = \"arm64-128\" (non-coherent DMA)",
            ),
        ] {
            let e = parse(mem).unwrap_err().to_string();
            assert!(
                e.starts_with("m.toml: field `memory.coherent`") && e.contains(want),
                "{e}"
            );
        }
        let e = parse("platform = \"riscv\"").unwrap_err().to_string();
        assert!(
            e.contains("m.toml")
                && e.contains("unknown platform `riscv`: expected x86-64, arm64-64 or arm64-128"),
            "{e}"
        );
    }

    #[test]
    fn set_coherent_keeps_a_non_coherent_platform() {
        let mut m = MemorySection::default();
        assert_eq!(m.platform(), Platform::X86_64);
        m.set_platform(Platform::Arm64Line128);
        m.set_coherent(false);
        assert_eq!(
            m.platform(),
            Platform::Arm64Line128,
            "already non-coherent: kept"
        );
        m.set_coherent(true);
        assert_eq!(m.platform(), Platform::X86_64);
        assert_eq!(m.coherent, Some(true));
        m.set_coherent(false);
        assert_eq!(m.platform(), Platform::Arm64Line64);
        assert_eq!(m.coherent, Some(false));
    }

    #[test]
    fn validation_names_file_and_field() {
        let base = BUILTIN[0].1;
        let e = Scenario::parse("f.toml", &base.replace("rx_ring = 64", "rx_ring = 3"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.toml: field `driver.rx_ring` = 3"), "{e}");
        let e = Scenario::parse(
            "g.toml",
            &format!("{base}\n[faults]\nnuma_switch_at_frame = 3\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("g.toml") && e.contains("faults.numa_switch_at_frame"),
            "{e}"
        );
        for (bad, why) in [
            ("13", "0 (the whole buffer) or 14..="),
            ("3521", "page bytes - headroom - tailroom"),
        ] {
            let e = Scenario::parse(
                "b.toml",
                &base.replace("rx_ring = 64", &format!("rx_ring = 64\nrx_buf_len = {bad}")),
            )
            .unwrap_err()
            .to_string();
            assert!(
                e.starts_with(&format!("b.toml: field `driver.rx_buf_len` = {bad}"))
                    && e.contains(why),
                "{e}"
            );
        }
        assert!(Scenario::parse(
            "b.toml",
            &base.replace("rx_ring = 64", "rx_ring = 64\nrx_buf_len = 3520")
        )
        .is_ok());
        let e = Scenario::parse("h.toml", &format!("{base}\nextra = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("h.toml") && e.contains("extra"), "{e}");
    }
}
