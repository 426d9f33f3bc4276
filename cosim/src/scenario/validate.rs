//! A scenario's range and consistency rules, as a table: each rule names
//! the dotted field, says when it holds, renders the offending value and
//! the reason. The first rule broken is the error; the driver's own
//! configuration rules (ring sizes, headroom, frame length, page fit) run
//! in between, reported under the scenario's field names.

use pool::Coherence;

use super::format::{Consume, Direction, Mode, Scenario, ScenarioError, Verdict};

/// One rule of a scenario.
struct Rule {
    /// Dotted field name (`driver.budget`).
    field: &'static str,
    /// Whether the scenario keeps the rule.
    holds: fn(&Scenario) -> bool,
    /// The offending value, rendered.
    value: fn(&Scenario) -> String,
    /// The rule, said to the user.
    why: fn(&Scenario) -> String,
}

/// The rules checked before the driver's own.
const BEFORE_DRIVER: &[Rule] = &[
    Rule {
        field: "name",
        holds: |s| {
            !s.name.is_empty()
                && s.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        },
        value: |s| format!("{:?}", s.name),
        why: |_| "non-empty, letters, digits, `_` and `-` only".into(),
    },
    Rule {
        field: "traffic.frames",
        holds: |s| (1..=1_000_000).contains(&s.traffic.frames),
        value: |s| s.traffic.frames.to_string(),
        why: |_| "expected 1..=1000000".into(),
    },
    Rule {
        field: "traffic.size",
        holds: |s| s.traffic.size.min() >= 14,
        value: |s| s.traffic.size.to_string(),
        why: |_| "frames are at least 14 bytes (an Ethernet header)".into(),
    },
    Rule {
        field: "traffic.size",
        holds: |s| s.traffic.size.max() <= s.driver.max_frame_len,
        value: |s| s.traffic.size.to_string(),
        why: |s| {
            format!(
                "larger than driver.max_frame_len = {} (the NIC would drop it as too long)",
                s.driver.max_frame_len
            )
        },
    },
    Rule {
        field: "traffic.gap_cycles",
        holds: |s| s.traffic.gap_cycles <= 10_000_000,
        value: |s| s.traffic.gap_cycles.to_string(),
        why: |_| "expected 0..=10000000".into(),
    },
    Rule {
        field: "driver.budget",
        holds: |s| (1..=4096).contains(&s.driver.budget),
        value: |s| s.driver.budget.to_string(),
        why: |_| "expected 1..=4096".into(),
    },
];

/// The rules checked after the driver's own.
const AFTER_DRIVER: &[Rule] = &[
    Rule {
        field: "driver.coal_frames",
        holds: |s| s.driver.coal_frames <= 65535,
        value: |s| s.driver.coal_frames.to_string(),
        why: |_| "expected 0..=65535".into(),
    },
    Rule {
        field: "driver.pool_size",
        holds: |s| s.driver.pool_size <= pool::PP_RING_MAX as u32,
        value: |s| s.driver.pool_size.to_string(),
        why: |_| format!("expected 0..={}", pool::PP_RING_MAX),
    },
    Rule {
        field: "driver.verdict",
        holds: |s| s.driver.mode != Mode::Frag || s.driver.verdict == Verdict::None,
        value: verdict,
        why: |_| "an XDP program needs driver.mode = \"page\"".into(),
    },
    Rule {
        field: "driver.verdict",
        holds: |s| s.traffic.direction != Direction::Tx || s.driver.verdict == Verdict::None,
        value: verdict,
        why: |_| "traffic.direction = \"tx\" receives nothing for a verdict to act on".into(),
    },
    Rule {
        field: "driver.verdict",
        holds: |s| {
            s.traffic.direction != Direction::Loopback
                || !matches!(s.driver.verdict, Verdict::Tx | Verdict::Redirect)
        },
        value: verdict,
        why: |_| "in loopback a reflected frame would circle forever".into(),
    },
    Rule {
        field: "memory.coherent",
        holds: |s| match (s.memory.platform, s.memory.coherent) {
            (Some(p), Some(c)) => c == (p.coherence() == Coherence::Coherent),
            _ => true,
        },
        value: |s| s.memory.coherent.unwrap_or_default().to_string(),
        why: |s| {
            let p = s.memory.platform();
            let dma = match p.coherence() {
                Coherence::Coherent => "coherent",
                Coherence::NonCoherent => "non-coherent",
            };
            format!("contradicts memory.platform = \"{p}\" ({dma} DMA): give only one of the two")
        },
    },
    Rule {
        field: "memory.read_latency",
        holds: |s| s.memory.read_latency <= 10_000,
        value: |s| s.memory.read_latency.to_string(),
        why: |_| "expected 0..=10000 cycles".into(),
    },
    Rule {
        field: "memory.write_latency",
        holds: |s| s.memory.write_latency <= 10_000,
        value: |s| s.memory.write_latency.to_string(),
        why: |_| "expected 0..=10000 cycles".into(),
    },
    Rule {
        field: "memory.backpressure",
        holds: |s| s.memory.backpressure <= 95,
        value: |s| s.memory.backpressure.to_string(),
        why: |_| "a percentage in 0..=95".into(),
    },
    Rule {
        field: "memory.tx_stall",
        holds: |s| s.memory.tx_stall <= 95,
        value: |s| s.memory.tx_stall.to_string(),
        why: |_| "a percentage in 0..=95".into(),
    },
    Rule {
        field: "memory.nodes",
        holds: |s| (1..=8).contains(&s.memory.nodes),
        value: |s| s.memory.nodes.to_string(),
        why: |_| "expected 1..=8".into(),
    },
    Rule {
        field: "memory.pages_per_node",
        holds: |s| (1024..=1_048_576).contains(&s.memory.pages_per_node),
        value: |s| s.memory.pages_per_node.to_string(),
        why: |_| "expected 1024..=1048576".into(),
    },
    Rule {
        field: "nic.data_width",
        holds: |s| s.model_config().variant().is_ok(),
        value: |s| s.nic.data_width.to_string(),
        why: |s| {
            s.model_config()
                .variant()
                .err()
                .map_or_else(String::new, |e| e.to_string())
        },
    },
    Rule {
        field: "faults.pfmemalloc_reserve",
        holds: |s| s.faults.pfmemalloc_reserve <= s.memory.pages_per_node,
        value: |s| s.faults.pfmemalloc_reserve.to_string(),
        why: |s| {
            format!(
                "expected 0..={} (memory.pages_per_node)",
                s.memory.pages_per_node
            )
        },
    },
    Rule {
        field: "stack.hold",
        holds: |s| s.stack.hold <= 65536,
        value: |s| s.stack.hold.to_string(),
        why: |_| "expected 0..=65536".into(),
    },
    Rule {
        field: "stack.copy_pool_order",
        holds: |s| s.stack.copy_pool_order <= pool::MAX_PAGE_ORDER,
        value: |s| s.stack.copy_pool_order.to_string(),
        why: |_| format!("expected 0..={}", pool::MAX_PAGE_ORDER),
    },
    Rule {
        field: "stack.copy_pool_order",
        holds: |s| s.stack.copy_pool_order == 0 || s.stack.consume == Consume::Process,
        value: |s| s.stack.copy_pool_order.to_string(),
        why: |_| "the stack copies in process context: needs stack.consume = \"process\"".into(),
    },
    Rule {
        field: "stack.echo",
        holds: |s| {
            !s.stack.echo
                || (s.stack.consume == Consume::Process && s.traffic.direction == Direction::Rx)
        },
        value: |_| "true".into(),
        why: |_| "echo needs stack.consume = \"process\" and traffic.direction = \"rx\"".into(),
    },
    Rule {
        field: "driver.coal_cycles",
        holds: |s| s.driver.coal_frames <= 1 || s.driver.coal_cycles != 0,
        value: |_| "0".into(),
        why: |_| {
            "with driver.coal_frames > 1 a timer is needed, or the last completions are never signalled".into()
        },
    },
    Rule {
        field: "faults.starve_until_frame",
        holds: |s| match (s.faults.starve_from_frame, s.faults.starve_until_frame) {
            (Some(a), Some(b)) => b > a,
            _ => true,
        },
        value: |s| s.faults.starve_until_frame.unwrap_or(0).to_string(),
        why: |s| {
            format!(
                "must be after faults.starve_from_frame = {}",
                s.faults.starve_from_frame.unwrap_or(0)
            )
        },
    },
    Rule {
        field: "faults.starve_until_frame",
        holds: |s| s.faults.starve_until_frame.is_none() || s.faults.starve_from_frame.is_some(),
        value: |s| s.faults.starve_until_frame.unwrap_or(0).to_string(),
        why: |_| "needs faults.starve_from_frame".into(),
    },
    Rule {
        field: "traffic.direction",
        holds: |s| {
            (s.faults.starve_from_frame.is_none()
                && s.faults.numa_switch_at_frame.is_none()
                && s.faults.down_at_frames.is_empty())
                || s.traffic.direction == Direction::Rx
        },
        value: |s| format!("{:?}", s.traffic.direction).to_lowercase(),
        why: |_| "faults triggered by frames on the wire need direction = \"rx\"".into(),
    },
    Rule {
        field: "faults.numa_switch_at_frame",
        holds: |s| s.faults.numa_switch_at_frame.is_none() || s.memory.nodes >= 2,
        value: |s| s.faults.numa_switch_at_frame.unwrap_or(0).to_string(),
        why: |_| "needs memory.nodes >= 2".into(),
    },
    Rule {
        field: "faults.down_at_frames",
        holds: |s| {
            let at = &s.faults.down_at_frames;
            at.len() <= 1000
                && at.first().is_none_or(|&a| a >= 1)
                && at.last().is_none_or(|&a| a <= s.traffic.frames)
                && at.windows(2).all(|w| w[0] < w[1])
        },
        value: |s| format!("{:?}", s.faults.down_at_frames),
        why: |s| {
            format!(
                "at most 1000 frame counts, strictly increasing, each in 1..=traffic.frames = {}",
                s.traffic.frames
            )
        },
    },
    Rule {
        field: "faults.down_cycles",
        holds: |s| {
            s.faults.down_at_frames.is_empty() || (1..=1_000_000).contains(&s.faults.down_cycles)
        },
        value: |s| s.faults.down_cycles.to_string(),
        why: |_| "expected 1..=1000000 with faults.down_at_frames".into(),
    },
    Rule {
        field: "faults.down_cycles",
        holds: |s| s.faults.down_cycles == 0 || !s.faults.down_at_frames.is_empty(),
        value: |s| s.faults.down_cycles.to_string(),
        why: |_| "needs faults.down_at_frames".into(),
    },
];

fn verdict(s: &Scenario) -> String {
    format!("{:?}", s.driver.verdict).to_lowercase()
}

impl Scenario {
    /// Range and consistency checks (the rules above, in order); the error
    /// names `file` and the field.
    pub fn validate(&self, file: &str) -> Result<(), ScenarioError> {
        validate(self, file)
    }
}

/// The first rule `sc` breaks, as the error naming `file` and the field.
fn validate(sc: &Scenario, file: &str) -> Result<(), ScenarioError> {
    let invalid = |field: &'static str, value: String, why: String| ScenarioError::Invalid {
        file: file.to_string(),
        field,
        value,
        why,
    };
    let first_broken = |rules: &[Rule]| {
        rules
            .iter()
            .find(|r| !(r.holds)(sc))
            .map(|r| invalid(r.field, (r.value)(sc), (r.why)(sc)))
    };
    if let Some(e) = first_broken(BEFORE_DRIVER) {
        return Err(e);
    }
    if let Err(hostdriver::DriverError::InvalidConfig { field, value, why }) =
        sc.driver_config().validate()
    {
        return Err(invalid(driver_field(field), value, why.to_string()));
    }
    first_broken(AFTER_DRIVER).map_or(Ok(()), Err)
}

/// The scenario field a [`hostdriver::DriverConfig`] field comes from.
fn driver_field(field: &str) -> &'static str {
    match field {
        "rx_ring_size" => "driver.rx_ring",
        "tx_ring_size" => "driver.tx_ring",
        "headroom" => "driver.headroom",
        "max_frame_len" => "driver.max_frame_len",
        "rx_buf_len" => "driver.rx_buf_len",
        "rx_page_order" => "driver.page_order",
        _ => "driver",
    }
}
