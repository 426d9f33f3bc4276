//! Cached, multi-variant Verilator builds for Cargo build scripts.
//!
//! A [`Design`] names a top module, its sources (in the order Verilator
//! reads them), the [`Variant`]s to verilate it as (each under its own
//! class prefix, with its own `-G` parameters and assertion switch), the
//! Verilator option files, an optional hooks header and a cache directory.
//! [`Design::build`] verilates and compiles every variant whose cache entry
//! is missing (in parallel), compiles Verilator's runtime once, and reads
//! every variant's ports back from the generated headers into a
//! [`PortTable`]. The [`writer`] functions turn the table into data for
//! the caller's own macros (Rust) and X-macros (C++); [`ico`] tells which
//! outputs a model computes combinationally from its inputs.
//!
//! Cache entries are keyed by content (the files under
//! [`Design::key_dirs`], the option files, flags, tool versions), never by
//! path, so every checkout and profile shares them; an entry is built in a
//! temporary directory and renamed into place ([`cache`]).
//!
//! See README.md for a build script using it.
#![deny(unsafe_code)]

mod built;
pub mod cache;
mod command;
mod design;
mod error;
pub mod header;
pub mod ico;
pub mod makefile;
mod options;
mod ports;
mod toolchain;
mod verilate;
pub mod writer;

pub use built::{Built, Model};
pub use design::Design;
pub use error::{Error, Result};
pub use header::{Dir, Port, Storage};
pub use options::{Hooks, OptLevels, Variant};
pub use ports::{PortRow, PortTable};
pub use toolchain::{Toolchain, TOOLCHAIN_ENV};

/// The build script of README.md, compiled as a doc-test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeBuildScript;
