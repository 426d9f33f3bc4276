//! GTKWave save files (`.gtkw`) for the NIC's waveforms.
//!
//! The layout ([`nic_layout`]) names signals relative to the NIC instance;
//! [`resolve`] looks every one up in the waveform's own hierarchy, so the
//! save file only ever names signals the file has (with GTKWave's `[msb:lsb]`
//! suffix on vectors). Signals the waveform lacks are reported, not written.

use std::fmt::Write as _;
use std::path::Path;

use crate::load::Wave;
use crate::WaveError;

/// How GTKWave shows a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radix {
    Bin,
    Hex,
    Dec,
}

impl Radix {
    /// GTKWave trace flags: right-justified plus the radix.
    fn flags(self) -> &'static str {
        match self {
            Radix::Bin => "@28",
            Radix::Hex => "@22",
            Radix::Dec => "@24",
        }
    }
}

/// Where a layout entry lives: in the NIC instance, or in the wrapper
/// (testbench) scope around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Nic,
    Wrapper,
}

/// One signal of a layout, relative to its [`Base`] (dotted sub-scopes
/// allowed: `u_rx_engine.st_q`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub base: Base,
    pub name: &'static str,
    pub radix: Radix,
}

/// A named group of signals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: &'static str,
    pub entries: Vec<Entry>,
}

const fn nic(name: &'static str, radix: Radix) -> Entry {
    Entry {
        base: Base::Nic,
        name,
        radix,
    }
}
const fn drv(name: &'static str, radix: Radix) -> Entry {
    Entry {
        base: Base::Wrapper,
        name,
        radix,
    }
}

/// The NIC's signals grouped the way a DMA engineer reads them.
pub fn nic_layout() -> Vec<Group> {
    use Radix::*;
    let mut groups = vec![Group {
        name: "Clock and reset",
        entries: vec![nic("clk_i", Bin), nic("rst_ni", Bin)],
    }];
    groups.extend(axi_groups());
    groups.extend(engine_groups());
    groups.extend([
        Group {
            name: "Interrupts",
            entries: vec![
                nic("irq_o", Bin),
                nic("u_regs.irq_stat_q", Bin),
                nic("u_regs.irq_mask_q", Bin),
            ],
        },
        Group {
            name: "Driver markers",
            entries: vec![
                drv("drv_napi_active_i", Bin),
                drv("drv_pool_inflight_i", Dec),
                drv("drv_rx_doorbell_i", Dec),
                drv("drv_tx_doorbell_i", Dec),
                drv("drv_sync_strobe_i", Bin),
                drv("drv_sync_dir_i", Dec),
                drv("drv_sync_len_i", Dec),
            ],
        },
    ]);
    groups
}

/// The five channels of the DMA master interface.
fn axi_groups() -> Vec<Group> {
    use Radix::*;
    vec![
        Group {
            name: "AXI read address (AR)",
            entries: vec![
                nic("m_axi_arvalid_o", Bin),
                nic("m_axi_arready_i", Bin),
                nic("m_axi_arid_o", Dec),
                nic("m_axi_araddr_o", Hex),
                nic("m_axi_arlen_o", Dec),
                nic("m_axi_arsize_o", Dec),
                nic("m_axi_arburst_o", Dec),
            ],
        },
        Group {
            name: "AXI read data (R)",
            entries: vec![
                nic("m_axi_rvalid_i", Bin),
                nic("m_axi_rready_o", Bin),
                nic("m_axi_rid_i", Dec),
                nic("m_axi_rdata_i", Hex),
                nic("m_axi_rresp_i", Dec),
                nic("m_axi_rlast_i", Bin),
            ],
        },
        Group {
            name: "AXI write address (AW)",
            entries: vec![
                nic("m_axi_awvalid_o", Bin),
                nic("m_axi_awready_i", Bin),
                nic("m_axi_awid_o", Dec),
                nic("m_axi_awaddr_o", Hex),
                nic("m_axi_awlen_o", Dec),
                nic("m_axi_awsize_o", Dec),
                nic("m_axi_awburst_o", Dec),
            ],
        },
        Group {
            name: "AXI write data (W)",
            entries: vec![
                nic("m_axi_wvalid_o", Bin),
                nic("m_axi_wready_i", Bin),
                nic("m_axi_wdata_o", Hex),
                nic("m_axi_wstrb_o", Hex),
                nic("m_axi_wlast_o", Bin),
            ],
        },
        Group {
            name: "AXI write response (B)",
            entries: vec![
                nic("m_axi_bvalid_i", Bin),
                nic("m_axi_bready_o", Bin),
                nic("m_axi_bid_i", Dec),
                nic("m_axi_bresp_i", Dec),
            ],
        },
    ]
}

/// Descriptor fetch and the RX/TX engines.
fn engine_groups() -> Vec<Group> {
    use Radix::*;
    let fetch = |q: &'static [&'static str; 11]| q.iter().map(|n| nic(n, radix_of(n))).collect();
    vec![
        Group {
            name: "RX descriptor fetch",
            entries: fetch(&[
                "u_rx_desc.run_i",
                "u_rx_desc.prod_i",
                "u_rx_desc.cons_i",
                "u_rx_desc.ar_valid_o",
                "u_rx_desc.ar_ready_i",
                "u_rx_desc.ar_addr_o",
                "u_rx_desc.ar_len_o",
                "u_rx_desc.d_valid_o",
                "u_rx_desc.d_idx_o",
                "u_rx_desc.d_pop_i",
                "u_rx_desc.err_o",
            ]),
        },
        Group {
            name: "TX descriptor fetch",
            entries: fetch(&[
                "u_tx_desc.run_i",
                "u_tx_desc.prod_i",
                "u_tx_desc.cons_i",
                "u_tx_desc.ar_valid_o",
                "u_tx_desc.ar_ready_i",
                "u_tx_desc.ar_addr_o",
                "u_tx_desc.ar_len_o",
                "u_tx_desc.d_valid_o",
                "u_tx_desc.d_idx_o",
                "u_tx_desc.d_pop_i",
                "u_tx_desc.err_o",
            ]),
        },
        Group {
            name: "RX engine",
            entries: vec![
                nic("s_axis_rx_tvalid_i", Bin),
                nic("s_axis_rx_tready_o", Bin),
                nic("s_axis_rx_tlast_i", Bin),
                nic("u_rx_engine.st_q", Dec),
                nic("u_rx_engine.dc_valid_i", Bin),
                nic("u_rx_engine.dc_addr_i", Hex),
                nic("u_rx_engine.pw_aw_valid_o", Bin),
                nic("u_rx_engine.pw_aw_addr_o", Hex),
                nic("u_rx_engine.pw_w_valid_o", Bin),
                nic("u_rx_engine.cw_aw_valid_o", Bin),
                nic("u_rx_engine.cw_aw_addr_o", Hex),
                nic("u_rx_engine.cpl_ack_o", Bin),
                nic("u_rx_engine.drop_no_desc_o", Bin),
                nic("u_rx_engine.drop_too_long_o", Bin),
                nic("u_rx_engine.drop_dma_err_o", Bin),
            ],
        },
        Group {
            name: "TX engine",
            entries: vec![
                nic("u_tx_engine.st_q", Dec),
                nic("u_tx_engine.dc_valid_i", Bin),
                nic("u_tx_engine.dc_addr_i", Hex),
                nic("u_tx_engine.dc_len_i", Dec),
                nic("u_tx_engine.ar_valid_o", Bin),
                nic("u_tx_engine.ar_addr_o", Hex),
                nic("u_tx_engine.r_valid_i", Bin),
                nic("u_tx_engine.cw_aw_valid_o", Bin),
                nic("u_tx_engine.cw_aw_addr_o", Hex),
                nic("u_tx_engine.cpl_ack_o", Bin),
                nic("m_axis_tx_tvalid_o", Bin),
                nic("m_axis_tx_tready_i", Bin),
                nic("m_axis_tx_tlast_o", Bin),
            ],
        },
    ]
}

fn radix_of(name: &str) -> Radix {
    if name.ends_with("addr_o") {
        Radix::Hex
    } else if name.ends_with("_i") && (name.contains("prod") || name.contains("cons"))
        || name.ends_with("len_o")
        || name.ends_with("idx_o")
    {
        Radix::Dec
    } else {
        Radix::Bin
    }
}

/// A signal as GTKWave names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Full dotted name with `[msb:lsb]` for vectors.
    pub gtkw_name: String,
    /// Full dotted name as the waveform reader reports it.
    pub full_name: String,
    pub width: u32,
    pub radix: Radix,
}

/// A layout resolved against one waveform.
#[derive(Debug, Clone)]
pub struct ResolvedLayout {
    pub nic_scope: String,
    pub wrapper_scope: String,
    pub groups: Vec<(String, Vec<Resolved>)>,
    /// Layout entries the waveform does not have (full names tried).
    pub missing: Vec<String>,
}

/// Looks up every entry of `layout` in `wave`. The NIC scope is the
/// deepest scope holding both `m_axi_awvalid_o` and `m_axi_arvalid_o` (the
/// `nic_top` instance, not the wrapper's copy of the ports), the wrapper
/// scope the deepest one holding `drv_napi_active_i`.
pub fn resolve(wave: &Wave, layout: &[Group]) -> ResolvedLayout {
    let h = wave.hierarchy();
    let mut index = std::collections::HashMap::new();
    let mut wrapper_scope = String::new();
    // Scopes holding the AW and the AR valid: the NIC instance has both
    // (the write arbiter inside it only the AW one).
    let mut aw_scopes = Vec::new();
    let mut ar_scopes = Vec::new();
    for v in h.all_vars() {
        let var = &h[v];
        let full = var.full_name(h);
        let scope = full.rsplit_once('.').map(|(s, _)| s).unwrap_or("");
        let name = var.name(h);
        match name {
            "m_axi_awvalid_o" => aw_scopes.push(scope.to_string()),
            "m_axi_arvalid_o" => ar_scopes.push(scope.to_string()),
            "drv_napi_active_i"
                if wrapper_scope.is_empty() || depth(scope) > depth(&wrapper_scope) =>
            {
                wrapper_scope = scope.to_string()
            }
            _ => {}
        }
        let width = var.length(h).unwrap_or(1);
        let gtkw_name = if width > 1 {
            match var.index() {
                Some(ix) => format!("{full}[{}:{}]", ix.msb(), ix.lsb()),
                None => format!("{full}[{}:0]", width - 1),
            }
        } else {
            full.clone()
        };
        index.entry(full.clone()).or_insert((gtkw_name, width));
    }
    let nic_scope = aw_scopes
        .into_iter()
        .filter(|s| ar_scopes.contains(s))
        .max_by_key(|s| depth(s))
        .unwrap_or_default();
    let mut groups = Vec::new();
    let mut missing = Vec::new();
    for g in layout {
        let mut sigs = Vec::new();
        for e in &g.entries {
            let base = match e.base {
                Base::Nic => &nic_scope,
                Base::Wrapper => &wrapper_scope,
            };
            let full = if base.is_empty() {
                e.name.to_string()
            } else {
                format!("{base}.{}", e.name)
            };
            match index.get(&full) {
                Some((gtkw_name, width)) => sigs.push(Resolved {
                    gtkw_name: gtkw_name.clone(),
                    full_name: full,
                    width: *width,
                    radix: if *width == 1 { Radix::Bin } else { e.radix },
                }),
                None => missing.push(full),
            }
        }
        if !sigs.is_empty() {
            groups.push((g.name.to_string(), sigs));
        }
    }
    if !missing.is_empty() {
        tracing::warn!(path = %wave.path().display(), ?missing, "signals of the save-file layout are not in the waveform");
    }
    ResolvedLayout {
        nic_scope,
        wrapper_scope,
        groups,
        missing,
    }
}

fn depth(scope: &str) -> usize {
    if scope.is_empty() {
        0
    } else {
        scope.matches('.').count() + 1
    }
}

/// The text of a GTKWave save file for `dumpfile` showing `layout`, with
/// the view on `[time_start, time_end]` and a marker at `marker` (file time
/// units), e.g. the failing cycle.
pub fn save_file_text(
    dumpfile: &Path,
    layout: &ResolvedLayout,
    (time_start, time_end): (u64, u64),
    marker: Option<u64>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "[*]\n[*] GTKWave save file written by the cosim waves crate\n[*]"
    );
    let _ = writeln!(s, "[dumpfile] \"{}\"", dumpfile.display());
    let _ = writeln!(s, "[timestart] {time_start}");
    let _ = writeln!(s, "[size] 1600 1000");
    let _ = writeln!(s, "[pos] -1 -1");
    // Zoom (GTKWave shows 2^-zoom time units per pixel: fit the span into
    // about 1300 pixels of wave area), the primary marker, then the 26
    // named markers (unset).
    let span = (time_end.saturating_sub(time_start)).max(1) as f64;
    let zoom = -(span / 1300.0).log2();
    let _ = writeln!(
        s,
        "*{zoom:.6} {}{}",
        marker.map(|m| m as i64).unwrap_or(-1),
        " -1".repeat(26)
    );
    // Open the hierarchy down to the NIC in the tree.
    let mut acc = String::new();
    for part in layout.nic_scope.split('.').filter(|p| !p.is_empty()) {
        acc.push_str(part);
        acc.push('.');
        let _ = writeln!(s, "[treeopen] {acc}");
    }
    let _ = writeln!(s, "[sst_width] 260");
    let _ = writeln!(s, "[signals_width] 320");
    let _ = writeln!(s, "[sst_expanded] 1");
    let _ = writeln!(s, "[sst_vpaned_height] 300");
    for (name, sigs) in &layout.groups {
        // Group begin (TR_GRP_BEGIN | TR_BLANK), then its traces, then the end.
        let _ = writeln!(s, "@800200\n-{name}");
        let mut last = "";
        for r in sigs {
            let f = r.radix.flags();
            if f != last {
                let _ = writeln!(s, "{f}");
                last = f;
            }
            let _ = writeln!(s, "{}", r.gtkw_name);
        }
        let _ = writeln!(s, "@1000200\n-{name}");
    }
    let _ = writeln!(s, "[pattern_trace] 1\n[pattern_trace] 0");
    s
}

/// Writes `<waveform minus extension>.gtkw` next to `wave` with the NIC
/// layout; returns its path and the resolved layout.
pub fn write_for(
    wave: &Wave,
    marker: Option<u64>,
) -> Result<(std::path::PathBuf, ResolvedLayout), WaveError> {
    let layout = resolve(wave, &nic_layout());
    let out = wave.path().with_extension("gtkw");
    let dump = std::fs::canonicalize(wave.path()).unwrap_or_else(|_| wave.path().to_path_buf());
    let tt = wave.time_table();
    let span = (
        tt.first().copied().unwrap_or(0),
        tt.last().copied().unwrap_or(0),
    );
    let text = save_file_text(&dump, &layout, span, marker);
    std::fs::write(&out, text).map_err(|source| WaveError::Write {
        path: out.clone(),
        source,
    })?;
    Ok((out, layout))
}
