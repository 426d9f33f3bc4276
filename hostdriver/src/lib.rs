#![deny(unsafe_code)]
//! The host driver (filled in by issue 4).
