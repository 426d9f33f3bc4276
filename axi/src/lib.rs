#![deny(unsafe_code)]
//! AXI4 vocabulary shared by the bus models and the waveform decoder.
//!
//! * [`Dir`]: the direction of a DMA burst, seen from the device;
//! * [`Resp`]: the response code of a B or R beat;
//! * [`Burst`]: one burst as either side records it: the address request,
//!   the bytes it moved, its response and the cycles it started and ended.
//!
//! The co-simulation's memory model (`cosim::bus`) logs what it answered
//! in these terms and the waveform decoder (`waves::dma`) reads them back
//! out of a waveform, so the two can be compared record by record.

mod burst;
mod resp;

pub use burst::{Burst, Dir};
pub use resp::Resp;
