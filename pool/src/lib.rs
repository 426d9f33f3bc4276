#![deny(unsafe_code)]
//! The page pool (filled in by issue 3).
