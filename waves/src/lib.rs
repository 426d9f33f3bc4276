#![deny(unsafe_code)]
//! Waveforms of the NIC co-simulation, in and out.
//!
//! * [`load`]: opens an FST or VCD file with the `wellen` reader and turns
//!   every failure (missing, empty, truncated, not a waveform) into a
//!   [`WaveError`] naming the file;
//! * [`dma`]: decodes the AXI4 transactions on the NIC's DMA master
//!   interface (`m_axi_*`) from the sampled handshakes: bursts, beats,
//!   strobes, responses, AW/W/B and AR/R matched by ID and order;
//! * [`summary`]: per-channel counts, bytes, bandwidth, backpressure and
//!   latency percentiles of a decoded waveform;
//! * [`gtkw`]: GTKWave save files with the signals grouped the way a DMA
//!   engineer reads them;
//! * [`vcd`]: writes a VCD copy of a waveform (how the co-simulation
//!   produces VCD: Verilator 5.006 compiles one trace format per model, and
//!   the model is built with FST).

pub mod dma;
pub mod error;
pub mod gtkw;
pub mod load;
pub mod summary;
pub mod vcd;

pub use dma::{decode, AxiNames, Burst, DecodeOptions, Decoded, Dir, Resp, Transaction};
pub use error::WaveError;
pub use load::{open, Wave};
pub use summary::{summarize, Summary};
