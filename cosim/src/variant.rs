//! Which verilated build of the NIC a testbench runs.
//!
//! `cosim/build.rs` verilates the same RTL several times, each under its own
//! class prefix, and links them all: 64- and 128-bit data paths
//! (`AXI_DATA_W`), each with and without the SystemVerilog assertions compiled
//! in. [`ModelConfig`] picks one at run time; the bus models take their data
//! width from it.
//!
//! Assertions catch protocol and DMA bugs at the cycle they happen and are on
//! by default. A model without them runs about 1.5x faster (see
//! docs/PERFORMANCE.md): for long soak runs and benchmarks of a design that
//! already passes with them.

use std::fmt;

/// One model variant built into this library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantInfo {
    /// The Verilated class (`--prefix`).
    pub class: &'static str,
    /// `AXI_DATA_W` of the NIC (and of its AXI-Stream ports).
    pub data_width: u32,
    /// Whether the SVA are compiled in (`--assert`).
    pub assertions: bool,
    /// Output ports Verilator computes from the inputs combinationally
    /// (assigned in the model's input-combinational region), found by
    /// `cosim/build.rs` in the generated C++. Empty: every output is a
    /// function of registers only, so a build without assertions clocks a
    /// cycle with one eval.
    pub comb_outputs: &'static [&'static str],
}

impl VariantInfo {
    /// No output depends combinationally on an input.
    pub fn registered_outputs(&self) -> bool {
        self.comb_outputs.is_empty()
    }
}

/// Turns the generated rows (`OUT_DIR/variants.rs`, one per verilated
/// variant, written by `vlbuild` for `cosim/build.rs`) into [`VARIANTS`].
macro_rules! variant_table {
    ($(
        $class:ident {
            params: { AXI_DATA_W: $data_width:literal },
            assertions: $assertions:literal,
            ico_outputs: [$( $output:literal ),*]
        };
    )*) => {
        /// The model variants built into this library, by index.
        pub const VARIANTS: &[VariantInfo] = &[$(
            VariantInfo {
                class: stringify!($class),
                data_width: $data_width,
                assertions: $assertions,
                comb_outputs: &[$( $output ),*],
            },
        )*];
    };
}

include!(concat!(env!("OUT_DIR"), "/variants.rs"));

/// The NIC build to simulate. Default: 64-bit data path, assertions on.
/// Also a scenario's `[nic]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// `AXI_DATA_W` in bits: 64 or 128 (DMA bus and MAC streams).
    pub data_width: u32,
    /// SystemVerilog assertions compiled in and checked every cycle. Off:
    /// the model runs about 1.5x faster and catches less.
    pub assertions: bool,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            data_width: 64,
            assertions: true,
        }
    }
}

/// A [`ModelConfig`] no variant of this build matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no NIC model with {wanted} is built into cosim (built: {built})")]
pub struct UnknownModel {
    pub wanted: ModelConfig,
    pub built: String,
}

impl ModelConfig {
    /// The fastest variant: 128-bit data path, no assertions.
    pub const FAST: ModelConfig = ModelConfig {
        data_width: 128,
        assertions: false,
    };

    /// Every variant built into this library.
    pub fn available() -> impl Iterator<Item = ModelConfig> {
        VARIANTS.iter().map(|v| ModelConfig {
            data_width: v.data_width,
            assertions: v.assertions,
        })
    }

    /// The built variant's description.
    pub fn info(&self) -> Result<&'static VariantInfo, UnknownModel> {
        Ok(&VARIANTS[self.variant()?])
    }

    /// Index of the matching built variant.
    pub fn variant(&self) -> Result<usize, UnknownModel> {
        VARIANTS
            .iter()
            .position(|v| v.data_width == self.data_width && v.assertions == self.assertions)
            .ok_or_else(|| UnknownModel {
                wanted: *self,
                built: Self::available()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            })
    }

    /// Bytes per data beat of the AXI4 master and the AXI-Streams.
    pub fn data_bytes(&self) -> usize {
        (self.data_width / 8) as usize
    }

    /// Short name: `w64`, `w128-fast`, ...
    pub fn short_name(&self) -> String {
        format!(
            "w{}{}",
            self.data_width,
            if self.assertions { "" } else { "-fast" }
        )
    }
}

impl fmt::Display for ModelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-bit data, assertions {}",
            self.data_width,
            if self.assertions { "on" } else { "off" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_is_built_and_found() {
        for w in [64, 128] {
            for a in [true, false] {
                let m = ModelConfig {
                    data_width: w,
                    assertions: a,
                };
                let i = m.variant().unwrap();
                assert_eq!(VARIANTS[i].data_width, w);
                assert_eq!(VARIANTS[i].assertions, a);
            }
        }
        assert_eq!(ModelConfig::default().variant().unwrap(), 0);
    }

    #[test]
    fn unknown_width_names_what_is_built() {
        let e = ModelConfig {
            data_width: 256,
            assertions: true,
        }
        .variant()
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("256-bit data, assertions on"), "{msg}");
        assert!(msg.contains("128-bit data, assertions off"), "{msg}");
    }
}
