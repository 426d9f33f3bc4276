#![deny(unsafe_code)]
//! Waveform helpers (filled in by issue 6).
