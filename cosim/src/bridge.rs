//! The Verilated NIC model behind a cxx bridge.
//!
//! [`Model`] owns the C++ shim (one `VerilatedContext`, one model of the
//! variant a [`ModelConfig`] picks, and an optional FST writer). Ports are reached through raw pointers taken
//! once at construction ([`Ports`]), so a port read or write is a plain load
//! or store; only [`Model::eval`], tracing and context calls cross the
//! language boundary.
//!
//! This module is the only place with `unsafe` code in the crate: the port
//! table is generated as data (`OUT_DIR/ports.rs`) and turned into
//! accessors by the hand-written macros of [`ports`].
#![allow(unsafe_code)]

use std::path::Path;
use std::pin::Pin;

use crate::variant::{ModelConfig, UnknownModel};

#[cxx::bridge(namespace = "cosim")]
mod ffi {
    /// A `$finish`, `$stop` or `$fatal` (assertion failures end in `$stop`)
    /// recorded by the shim's Verilator hooks during an eval.
    struct RtlEvent {
        /// 0 finish, 1 stop, 2 fatal.
        kind: u8,
        file: String,
        line: i32,
        hier: String,
        msg: String,
    }

    unsafe extern "C++" {
        include!("cosim/csrc/shim.h");

        type Model;

        fn new_model(name: &str, variant: u8) -> Result<UniquePtr<Model>>;
        fn port_addrs(self: Pin<&mut Model>) -> Vec<usize>;
        fn eval(self: Pin<&mut Model>) -> u32;
        fn cycle(self: Pin<&mut Model>) -> u32;
        fn take_output(self: Pin<&mut Model>) -> String;
        fn take_events(self: Pin<&mut Model>) -> Vec<RtlEvent>;
        fn trace_open(self: Pin<&mut Model>, path: &str) -> Result<()>;
        fn trace_close(self: Pin<&mut Model>);
        fn trace_is_open(self: &Model) -> bool;
        fn time(self: &Model) -> u64;
        fn finish_model(self: Pin<&mut Model>);
    }
}

// SAFETY: the C++ model has no thread affinity of its own: every call into it
// first makes its own VerilatedContext the calling thread's context (and the
// shim's thread-local "current model" pointer is set and restored around each
// call), so moving the model to another thread between calls is sound. It is
// not shared between threads (`Model` is not `Sync`: it holds raw pointers).
unsafe impl Send for ffi::Model {}

/// The port table: `OUT_DIR/ports.rs` holds one `port_table!` row per port
/// (written by `vlbuild` from the Verilated headers of every variant: name,
/// accessor names, direction, storage and width); the macros below turn the
/// rows into [`Ports`], its accessors and [`port_info`]'s table. Every
/// `unsafe` block of the port table is here.
mod ports {
    /// Storage of a port whose width differs between variants.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum SlotKind {
        U8,
        U16,
        // No port with a varying width is 17..=32 bits wide today.
        #[allow(dead_code)]
        U32,
        U64,
        /// A `VlWide` of this many 32-bit words (at most 4 here).
        Wide(u8),
    }

    /// A port field's C++ storage type and its width in bits.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Slot {
        pub(crate) kind: SlotKind,
        pub(crate) width: u32,
    }

    impl Slot {
        #[inline(always)]
        fn mask(self) -> u128 {
            if self.width >= 128 {
                u128::MAX
            } else {
                (1u128 << self.width) - 1
            }
        }

        /// # Safety
        /// `p` addresses a live port field of this slot's storage type.
        #[inline(always)]
        pub(crate) unsafe fn read(self, p: *const u8) -> u128 {
            // SAFETY (all arms): per the contract, `p` points at a field of
            // the named type (Verilator aligns port fields to their type).
            unsafe {
                match self.kind {
                    SlotKind::U8 => u128::from(*p),
                    SlotKind::U16 => u128::from(*p.cast::<u16>()),
                    SlotKind::U32 => u128::from(*p.cast::<u32>()),
                    SlotKind::U64 => u128::from(*p.cast::<u64>()),
                    SlotKind::Wide(n) => {
                        let w = p.cast::<u32>();
                        let mut v = 0u128;
                        for i in 0..usize::from(n.min(4)) {
                            v |= u128::from(*w.add(i)) << (32 * i);
                        }
                        v
                    }
                }
            }
        }

        /// Writes `v` cut to the slot's width (Verilator expects the bits
        /// above a signal's width to be zero).
        ///
        /// # Safety
        /// `p` addresses a live port field of this slot's storage type that
        /// nothing else borrows.
        #[inline(always)]
        pub(crate) unsafe fn write(self, p: *mut u8, v: u128) {
            let v = v & self.mask();
            // SAFETY (all arms): as in `read`, and the field is not borrowed.
            unsafe {
                match self.kind {
                    SlotKind::U8 => *p = v as u8,
                    SlotKind::U16 => *p.cast::<u16>() = v as u16,
                    SlotKind::U32 => *p.cast::<u32>() = v as u32,
                    SlotKind::U64 => *p.cast::<u64>() = v as u64,
                    SlotKind::Wide(n) => {
                        let w = p.cast::<u32>();
                        for i in 0..usize::from(n.min(4)) {
                            *w.add(i) = (v >> (32 * i)) as u32;
                        }
                    }
                }
            }
        }
    }

    /// The slot of a varying port in variant `variant`.
    fn slot_of(slots: &[Slot], variant: usize) -> Slot {
        *slots
            .get(variant)
            .unwrap_or_else(|| panic!("no model variant {variant}"))
    }

    /// A port whose storage differs between variants: the field's address
    /// and its storage in this model's variant.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct VaryingPort<P> {
        ptr: P,
        slot: Slot,
    }

    /// Name, direction and width of one port of the model.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct PortInfo {
        pub name: &'static str,
        pub input: bool,
        pub width: u32,
    }

    /// One port's name, direction and width in each of `V` variants.
    struct PortRow<const V: usize> {
        name: &'static str,
        input: bool,
        widths: [u32; V],
    }

    /// The rows per variant: `[variant][port]`.
    const fn variant_ports<const P: usize, const V: usize>(
        rows: &[PortRow<V>; P],
    ) -> [[PortInfo; P]; V] {
        let blank = PortInfo {
            name: "",
            input: false,
            width: 0,
        };
        let mut out = [[blank; P]; V];
        let mut v = 0;
        while v < V {
            let mut p = 0;
            while p < P {
                out[v][p] = PortInfo {
                    name: rows[p].name,
                    input: rows[p].input,
                    width: rows[p].widths[v],
                };
                p += 1;
            }
            v += 1;
        }
        out
    }

    /// The pointer to a port field of C++ type `$t`: `*mut` for inputs.
    macro_rules! port_ptr {
        (in $t:ty) => { *mut $t };
        (out $t:ty) => { *const $t };
    }

    /// The `Ports` field of a row.
    macro_rules! port_field {
        ($dir:tt fixed(bit, $w:literal)) => { port_ptr!($dir u8) };
        ($dir:tt fixed(wide $words:literal, $w:literal)) => { port_ptr!($dir u32) };
        ($dir:tt fixed(words $words:literal, $w:literal)) => { port_ptr!($dir u32) };
        ($dir:tt fixed($t:ident, $w:literal)) => { port_ptr!($dir $t) };
        ($dir:tt varying $slots:tt) => { VaryingPort<port_ptr!($dir u8)> };
    }

    /// The `Ports` field of a row from the field's address.
    macro_rules! port_init {
        ($dir:tt fixed $spec:tt, $addr:expr, $variant:expr) => {
            $addr as port_field!($dir fixed $spec)
        };
        ($dir:tt varying [$( ($kind:ident $(($words:literal))?, $w:literal) ),*], $addr:expr, $variant:expr) => {
            VaryingPort {
                ptr: $addr as port_ptr!($dir u8),
                slot: slot_of(
                    &[$( Slot { kind: SlotKind::$kind $(($words))?, width: $w } ),*],
                    $variant,
                ),
            }
        };
    }

    /// A row's width in each of `$variants` variants.
    macro_rules! port_widths {
        (fixed($($kind:ident)* $($words:literal)?, $w:literal); $variants:expr) => { [$w; $variants] };
        (varying [$( ($kind:ident $(($words:literal))?, $w:literal) ),*]; $variants:expr) => { [$($w),*] };
    }

    macro_rules! port_is_input {
        (in) => {
            true
        };
        (out) => {
            false
        };
    }

    /// Every accessor of a row: the getters, and the setters of an input.
    macro_rules! port_accessors {
        ($n:ident $names:tt in $($spec:tt)*) => {
            port_getters!($n $names $($spec)*);
            port_setters!($n $names $($spec)*);
        };
        ($n:ident $names:tt out $($spec:tt)*) => {
            port_getters!($n $names $($spec)*);
        };
    }

    // The SAFETY argument of every accessor: each pointer addresses a live
    // port field of the model, of the C++ type its row names (see
    // `Ports::from_addrs`); the model only changes in `eval`, which takes
    // `&mut`; a setter's `&mut self` excludes other borrows of the port.
    macro_rules! port_getters {
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed(bit, $w:literal)) => {
            #[doc = concat!("`", stringify!($n), "` (1 bit).")]
            #[inline(always)]
            pub fn $n(&self) -> bool {
                // SAFETY: see above.
                unsafe { *self.$n & 1 != 0 }
            }
            #[inline(always)]
            pub fn $bits(&self) -> u128 {
                // SAFETY: see above.
                u128::from(unsafe { *self.$n })
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed(wide $words:literal, $w:literal)) => {
            port_getters!($n { $bits, $set, $set_bits, $width } fixed(words $words, $w));
            #[inline(always)]
            pub fn $bits(&self) -> u128 {
                let mut v = 0u128;
                for (i, x) in self.$n().iter().enumerate() {
                    v |= u128::from(*x) << (32 * i);
                }
                v
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed(words $words:literal, $w:literal)) => {
            #[doc = concat!("`", stringify!($n), "` (", stringify!($w), " bits) as ", stringify!($words), " little-endian 32-bit words.")]
            #[inline(always)]
            pub fn $n(&self) -> &[u32] {
                // SAFETY: see above (a `VlWide` of this many words); the
                // slice borrows `self`.
                unsafe { std::slice::from_raw_parts(self.$n, $words) }
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed($t:ident, $w:literal)) => {
            #[doc = concat!("`", stringify!($n), "` (", stringify!($w), " bits).")]
            #[inline(always)]
            pub fn $n(&self) -> $t {
                // SAFETY: see above.
                unsafe { *self.$n }
            }
            #[inline(always)]
            pub fn $bits(&self) -> u128 {
                // SAFETY: see above.
                u128::from(unsafe { *self.$n })
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } varying $slots:tt) => {
            #[doc = concat!("`", stringify!($n), "`: its width in bits in this variant.")]
            #[inline(always)]
            pub fn $width(&self) -> u32 {
                self.$n.slot.width
            }
            #[doc = concat!("`", stringify!($n), "` (width per variant, zero-extended).")]
            #[inline(always)]
            pub fn $bits(&self) -> u128 {
                // SAFETY: see above; the slot names the field's storage.
                unsafe { self.$n.slot.read(self.$n.ptr) }
            }
        };
    }

    macro_rules! port_setters {
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed(bit, $w:literal)) => {
            #[inline(always)]
            pub fn $set(&mut self, v: bool) {
                // SAFETY: see above.
                unsafe { *self.$n = u8::from(v) }
            }
            #[inline(always)]
            pub fn $set_bits(&mut self, v: u128) {
                // SAFETY: see above.
                unsafe { *self.$n = (v & 1) as u8 }
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed(wide $words:literal, $w:literal)) => {
            port_setters!($n { $bits, $set, $set_bits, $width } fixed(words $words, $w));
            #[inline(always)]
            pub fn $set_bits(&mut self, v: u128) {
                let mut w = [0u32; $words];
                for (i, x) in w.iter_mut().enumerate() {
                    *x = (v >> (32 * i)) as u32;
                }
                self.$set(&w);
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed(words $words:literal, $w:literal)) => {
            #[inline(always)]
            pub fn $set(&mut self, v: &[u32]) {
                assert_eq!(v.len(), $words, concat!(stringify!($n), " takes ", stringify!($words), " words"));
                // SAFETY: see above; `v` has as many words as the field.
                unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), self.$n, $words) }
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } fixed($t:ident, $w:literal)) => {
            #[inline(always)]
            pub fn $set(&mut self, v: $t) {
                // SAFETY: see above.
                unsafe { *self.$n = v & (<$t>::MAX >> (<$t>::BITS - $w)) }
            }
            #[inline(always)]
            pub fn $set_bits(&mut self, v: u128) {
                // SAFETY: see above.
                unsafe { *self.$n = (v as $t) & (<$t>::MAX >> (<$t>::BITS - $w)) }
            }
        };
        ($n:ident { $bits:ident, $set:ident, $set_bits:ident, $width:ident } varying $slots:tt) => {
            #[doc = concat!("Sets `", stringify!($n), "`; bits above its width in this variant are dropped.")]
            #[inline(always)]
            pub fn $set_bits(&mut self, v: u128) {
                // SAFETY: see above; the slot names the field's storage.
                unsafe { self.$n.slot.write(self.$n.ptr, v) }
            }
        };
    }

    /// The port table from the generated rows: [`Ports`], its accessors and
    /// [`VARIANT_PORTS`].
    macro_rules! port_table {
        (
            variants: $variants:literal;
            $( $n:ident $names:tt $dir:tt $storage:ident $spec:tt; )*
        ) => {
            const PORT_COUNT: usize = [$( stringify!($n) ),*].len();
            const _: () = assert!($variants == crate::variant::VARIANTS.len(), "one slot per variant");

            /// Raw pointers to the model's port fields, in port order. Ports
            /// whose width differs between variants (the data paths) carry
            /// their storage [`Slot`], set from the variant at construction.
            pub struct Ports {
                $( $n: port_field!($dir $storage $spec), )*
            }

            /// Every port of each variant (in `VARIANTS` order): name,
            /// direction, width in bits.
            pub(crate) static VARIANT_PORTS: [[PortInfo; PORT_COUNT]; $variants] =
                variant_ports(&[$( PortRow {
                    name: stringify!($n),
                    input: port_is_input!($dir),
                    widths: port_widths!($storage $spec; $variants),
                } ),*]);

            impl Ports {
                /// # Safety
                /// `addrs` are the addresses the shim's `port_addrs` returned
                /// for a model of variant `variant` that outlives the
                /// returned value, in port order.
                pub(crate) unsafe fn from_addrs(addrs: &[usize], variant: usize) -> Self {
                    let [$( $n ),*] = <[usize; PORT_COUNT]>::try_from(addrs).expect("port table size");
                    Self {
                        $( $n: port_init!($dir $storage $spec, $n, variant), )*
                    }
                }

                $( port_accessors!($n $names $dir $storage $spec); )*
            }
        };
    }

    include!(concat!(env!("OUT_DIR"), "/ports.rs"));
}
pub use ports::{PortInfo, Ports};

/// The ports of a model variant: name, direction, width.
pub fn port_info(cfg: ModelConfig) -> Result<&'static [PortInfo], UnknownModel> {
    Ok(&ports::VARIANT_PORTS[cfg.variant()?])
}

// SAFETY: the pointers address fields of the C++ model owned by the same
// `Model` as this table (it is never handed out by value), so they travel
// with it; see the `Send` impl of `ffi::Model`.
unsafe impl Send for Ports {}

/// Kind of an [`RtlStop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtlStopKind {
    /// `$finish`.
    Finish,
    /// `$stop` or `$error` without a following assertion message.
    Stop,
    /// An immediate or concurrent assertion failed (`--assert`).
    Assertion,
    /// `$fatal` or an internal Verilator fatal error.
    Fatal,
}

/// A `$finish`, `$stop`, `$fatal` or failed assertion of the RTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtlStop {
    pub kind: RtlStopKind,
    /// Source file and line Verilator reported.
    pub file: String,
    pub line: i32,
    /// The message: the `%Error`/`%Fatal` line printed just before, or the
    /// message Verilator passed to the handler.
    pub message: String,
}

impl std::fmt::Display for RtlStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} at {}:{}: {}",
            self.kind, self.file, self.line, self.message
        )
    }
}

/// What one eval produced besides new port values.
#[derive(Debug, Default)]
pub struct EvalReport {
    /// Text printed by `$display` & co. (whole, possibly several lines).
    pub output: Option<String>,
    /// `$finish`/`$stop`/`$fatal`/assertion events, in order.
    pub stops: Vec<RtlStop>,
}

/// Errors opening a waveform file.
#[derive(Debug, thiserror::Error)]
pub enum WaveError {
    #[error("cannot open waveform file {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("waveform path {0:?} is not valid UTF-8")]
    BadPath(std::path::PathBuf),
}

/// The Verilated NIC (`tb_top` around `nic_top`): one context, one model.
///
/// `Send` (a model can move to another thread between calls), not `Sync`.
pub struct Model {
    // Field order matters: `ports` points into `inner` and is dropped first.
    ports: Ports,
    inner: cxx::UniquePtr<ffi::Model>,
    error_lines: std::collections::VecDeque<String>,
    config: ModelConfig,
}

const EVAL_EVENTS: u32 = 1;
const EVAL_OUTPUT: u32 = 2;

impl Model {
    /// Constructs a model of the variant `cfg` picks; `name` is its
    /// top-level instance name in messages and waveforms.
    pub fn new(name: &str, cfg: ModelConfig) -> Result<Model, UnknownModel> {
        let variant = cfg.variant()?;
        let mut inner = ffi::new_model(name, variant as u8)
            .expect("the variant index comes from the generated table");
        let addrs = inner.pin_mut().port_addrs();
        // SAFETY: `addrs` come from `port_addrs` of `inner`, in the generated
        // order; `inner` is a heap object that never moves and lives as long
        // as `ports` (both are owned by the returned `Model`, `ports` dropped
        // first). The C++ object's memory is not covered by any Rust
        // reference (cxx opaque types are zero-sized to Rust), so writes
        // through these pointers do not alias Rust borrows.
        let ports = unsafe { Ports::from_addrs(&addrs, variant) };
        Ok(Model {
            ports,
            inner,
            error_lines: std::collections::VecDeque::new(),
            config: cfg,
        })
    }

    /// The variant this model was built from.
    pub fn config(&self) -> ModelConfig {
        self.config
    }

    /// The port table (read outputs).
    #[inline(always)]
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// The port table (drive inputs).
    #[inline(always)]
    pub fn ports_mut(&mut self) -> &mut Ports {
        &mut self.ports
    }

    /// Evaluates the model once (its context made current first), dumps a
    /// waveform sample if a file is open, and advances its time by one unit.
    /// Returns `None` in the common case that nothing was printed or stopped.
    #[inline]
    pub fn eval(&mut self) -> Option<EvalReport> {
        let flags = self.pin().eval();
        self.report_of(flags)
    }

    /// One whole clock cycle (`clk_i` rising) in a single eval, advancing
    /// the time by two units like two [`Model::eval`]s. The inputs set before
    /// it are sampled at the edge, as by the clk-high eval of the two-eval
    /// scheme; the outputs read before it must not depend combinationally on
    /// those inputs (the two-eval scheme of `Sim` checks that). With a
    /// waveform open it evaluates and dumps both clock phases.
    #[inline]
    pub fn cycle(&mut self) -> Option<EvalReport> {
        let flags = self.pin().cycle();
        self.report_of(flags)
    }

    /// `None` in the common case that the eval flags say nothing happened.
    #[inline(always)]
    fn report_of(&mut self, flags: u32) -> Option<EvalReport> {
        if flags == 0 {
            return None;
        }
        Some(self.collect(flags))
    }

    #[cold]
    fn collect(&mut self, flags: u32) -> EvalReport {
        let mut rep = EvalReport::default();
        if flags & EVAL_OUTPUT != 0 {
            let out = self.pin().take_output();
            // Error reports printed by the RTL ("[t] %Error: file:line:
            // Assertion failed in ..."): each precedes its stop event.
            for l in out.lines() {
                if l.contains("%Error") || l.contains("%Fatal") {
                    self.error_lines.push_back(l.trim().to_string());
                }
            }
            while self.error_lines.len() > 64 {
                self.error_lines.pop_front();
            }
            rep.output = Some(out);
        }
        if flags & EVAL_EVENTS != 0 {
            for e in self.pin().take_events() {
                let printed = self.error_lines.pop_front();
                rep.stops.push(classify(e, printed));
            }
            self.error_lines.clear();
        }
        rep
    }

    /// Opens an FST waveform file; every following eval is dumped until
    /// [`Model::trace_close`].
    pub fn trace_open(&mut self, path: &Path) -> Result<(), WaveError> {
        let p = path
            .to_str()
            .ok_or_else(|| WaveError::BadPath(path.to_path_buf()))?;
        self.pin().trace_open(p).map_err(|e| WaveError::Open {
            path: p.to_string(),
            reason: e.what().to_string(),
        })
    }

    /// Closes the waveform file, if one is open.
    pub fn trace_close(&mut self) {
        self.pin().trace_close();
    }

    pub fn trace_is_open(&self) -> bool {
        self.inner.trace_is_open()
    }

    /// The model's time (two units per clock cycle under [`crate::Sim`]).
    pub fn time(&self) -> u64 {
        self.inner.time()
    }

    /// Runs the RTL's `final` blocks (also done on drop).
    pub fn finish(&mut self) {
        self.pin().finish_model();
    }

    fn pin(&mut self) -> Pin<&mut ffi::Model> {
        self.inner.pin_mut()
    }
}

/// Names an event: a `$stop` preceded by an "Assertion failed" report is an
/// assertion. (Verilator 5.006 reports `$error`/`$fatal` in assertion
/// action blocks and immediate assertions the same way.)
fn classify(e: ffi::RtlEvent, printed: Option<String>) -> RtlStop {
    let (kind, message) = match e.kind {
        0 => (RtlStopKind::Finish, printed_or(printed, &e.msg, false)),
        1 => match printed {
            Some(p) if p.contains("Assertion failed") => (RtlStopKind::Assertion, p),
            p => (RtlStopKind::Stop, printed_or(p, &e.msg, true)),
        },
        _ => (RtlStopKind::Fatal, printed_or(printed, &e.msg, true)),
    };
    RtlStop {
        kind,
        file: e.file,
        line: e.line,
        message,
    }
}

fn printed_or(printed: Option<String>, msg: &str, prefer_printed: bool) -> String {
    match printed {
        Some(p) if prefer_printed => p,
        _ => msg.to_string(),
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("config", &self.config)
            .field("time", &self.time())
            .field("tracing", &self.trace_is_open())
            .finish()
    }
}
