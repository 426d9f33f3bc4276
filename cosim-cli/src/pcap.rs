//! Classic pcap files, written and read without an extra crate.
//!
//! Written: nanosecond-resolution pcap (magic `0xa1b23c4d`), link type
//! `LINKTYPE_LINUX_SLL` (113), so Wireshark and tshark show each frame's
//! direction: packet type 0 ("to us") for frames the wire sent into the
//! NIC, 4 ("outgoing") for frames the NIC sent. Timestamps are simulated
//! time (cycle / clock).
//!
//! Read: microsecond or nanosecond pcap in either byte order, link type
//! Ethernet (1) or Linux cooked (113, outgoing packets skipped).

use std::borrow::Cow;
use std::path::Path;

use cosim::scenario::{WireDir, WireFrame};

/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// `LINKTYPE_LINUX_SLL`.
pub const LINKTYPE_LINUX_SLL: u32 = 113;
const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
const SLL_LEN: usize = 16;
/// `ETH_P_TEB`: the SLL payload is a complete Ethernet frame.
const ETH_P_TEB: u16 = 0x6558;
/// Largest snap length written.
pub const SNAPLEN: u32 = 65535;

/// A pcap file that cannot be used, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcapError {
    /// Cannot open or read.
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// Path.
        file: String,
        /// OS error.
        reason: String,
    },
    /// Not a pcap file, or truncated, or an unsupported variant.
    #[error("{file}: byte offset {offset}: {what}")]
    Malformed {
        /// Path.
        file: String,
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        what: String,
    },
    /// A packet the NIC cannot carry.
    #[error("{file}: packet {index} (byte offset {offset}): {len} bytes, longer than the NIC's maximum frame length {max} (MAX_FRAME_LEN)")]
    TooLong {
        /// Path.
        file: String,
        /// 1-based packet number, as Wireshark counts.
        index: usize,
        /// Byte offset of its record header.
        offset: usize,
        /// Frame length.
        len: usize,
        /// The limit.
        max: u32,
    },
}

/// Encodes `frames` (sorted by cycle) as a pcap file; `clock_hz` turns
/// cycles into time.
pub fn encode(frames: &[WireFrame], clock_hz: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + frames.iter().map(|f| f.data.len() + 32).sum::<usize>());
    out.extend_from_slice(&MAGIC_NS.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&SNAPLEN.to_le_bytes());
    out.extend_from_slice(&LINKTYPE_LINUX_SLL.to_le_bytes());
    for f in frames {
        let ns = u128::from(f.cycle) * 1_000_000_000 / u128::from(clock_hz.max(1));
        let secs = (ns / 1_000_000_000) as u32;
        let frac = (ns % 1_000_000_000) as u32;
        let data = &f.data[..f.data.len().min(SNAPLEN as usize - SLL_LEN)];
        let caplen = (data.len() + SLL_LEN) as u32;
        let origlen = (f.data.len() + SLL_LEN) as u32;
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&frac.to_le_bytes());
        out.extend_from_slice(&caplen.to_le_bytes());
        out.extend_from_slice(&origlen.to_le_bytes());
        // Linux cooked header (big-endian fields).
        let pkttype: u16 = match f.dir {
            WireDir::In => 0,
            WireDir::Out => 4,
        };
        out.extend_from_slice(&pkttype.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
        out.extend_from_slice(&6u16.to_be_bytes()); // address length
        let src = if f.data.len() >= 12 {
            &f.data[6..12]
        } else {
            &[0u8; 6][..]
        };
        out.extend_from_slice(src);
        out.extend_from_slice(&[0, 0]);
        // Protocol ETH_P_TEB (transparent Ethernet bridging): the payload
        // is the whole Ethernet frame, which Wireshark decodes as Ethernet,
        // so no byte of the frame (destination address included) is lost.
        out.extend_from_slice(&ETH_P_TEB.to_be_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// The Ethernet frame of a Linux cooked record (at least [`SLL_LEN`]
/// bytes): the payload itself for `ETH_P_TEB`; for a cooked capture of
/// another tool, whose Ethernet header was replaced by the cooked one, the
/// header rebuilt (the destination address is not recorded: broadcast).
fn uncook(data: &[u8]) -> Cow<'_, [u8]> {
    let proto = u16::from_be_bytes([data[14], data[15]]);
    if proto == ETH_P_TEB {
        return Cow::Borrowed(&data[SLL_LEN..]);
    }
    let mut eth = vec![0xff; 6];
    let alen = usize::from(u16::from_be_bytes([data[4], data[5]])).min(8);
    let mut src = [0u8; 6];
    src[..alen.min(6)].copy_from_slice(&data[6..6 + alen.min(6)]);
    eth.extend_from_slice(&src);
    eth.extend_from_slice(&proto.to_be_bytes());
    eth.extend_from_slice(&data[SLL_LEN..]);
    Cow::Owned(eth)
}

/// Decodes a pcap file's frames (the ones going into the NIC); `max_len`
/// is the NIC's MAX_FRAME_LEN.
pub fn decode(file: &str, bytes: &[u8], max_len: u32) -> Result<Vec<Vec<u8>>, PcapError> {
    let bad = |offset: usize, what: String| PcapError::Malformed {
        file: file.to_string(),
        offset,
        what,
    };
    if bytes.len() < 24 {
        return Err(bad(
            0,
            format!(
                "not a pcap file: {} bytes, shorter than the 24-byte file header",
                bytes.len()
            ),
        ));
    }
    let magic_le = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let magic_be = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let le = match (magic_le, magic_be) {
        (MAGIC_US | MAGIC_NS, _) => true,
        (_, MAGIC_US | MAGIC_NS) => false,
        _ => {
            return Err(bad(
                0,
                format!(
                    "not a classic pcap file: magic {magic_le:#010x} (pcapng files are not supported; convert with `editcap -F pcap`)"
                ),
            ))
        }
    };
    let u32_at = |o: usize| {
        let b = [bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]];
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let major = if le {
        u16::from_le_bytes([bytes[4], bytes[5]])
    } else {
        u16::from_be_bytes([bytes[4], bytes[5]])
    };
    if major != 2 {
        return Err(bad(4, format!("pcap version {major}, expected 2")));
    }
    let linktype = u32_at(20) & 0x0fff_ffff;
    if linktype != LINKTYPE_ETHERNET && linktype != LINKTYPE_LINUX_SLL {
        return Err(bad(
            20,
            format!("link type {linktype}: only Ethernet (1) and Linux cooked (113) are supported"),
        ));
    }
    let mut frames = Vec::new();
    let mut off = 24;
    let mut index = 0;
    while off < bytes.len() {
        index += 1;
        if bytes.len() - off < 16 {
            return Err(bad(
                off,
                format!(
                    "packet {index}: record header truncated ({} of 16 bytes)",
                    bytes.len() - off
                ),
            ));
        }
        let caplen = u32_at(off + 8) as usize;
        let origlen = u32_at(off + 12) as usize;
        let data_off = off + 16;
        if caplen > 262_144 {
            return Err(bad(
                off,
                format!("packet {index}: captured length {caplen} is not plausible"),
            ));
        }
        if bytes.len() - data_off < caplen {
            return Err(bad(
                off,
                format!(
                    "packet {index}: {caplen} bytes announced, only {} left in the file (truncated)",
                    bytes.len() - data_off
                ),
            ));
        }
        if caplen < origlen {
            return Err(bad(
                off,
                format!(
                    "packet {index}: only {caplen} of its {origlen} bytes were captured (snap length): cannot send a partial frame"
                ),
            ));
        }
        let mut data = Cow::Borrowed(&bytes[data_off..data_off + caplen]);
        let mut outgoing = false;
        if linktype == LINKTYPE_LINUX_SLL {
            if data.len() < SLL_LEN {
                return Err(bad(
                    off,
                    format!(
                        "packet {index}: {} bytes, shorter than the 16-byte Linux cooked header",
                        data.len()
                    ),
                ));
            }
            outgoing = u16::from_be_bytes([data[0], data[1]]) == 4;
            data = uncook(&bytes[data_off..data_off + caplen]);
        }
        if !outgoing {
            if data.len() < 14 {
                return Err(bad(
                    off,
                    format!(
                        "packet {index}: {} bytes, shorter than an Ethernet header (14)",
                        data.len()
                    ),
                ));
            }
            if data.len() > max_len as usize {
                return Err(PcapError::TooLong {
                    file: file.to_string(),
                    index,
                    offset: off,
                    len: data.len(),
                    max: max_len,
                });
            }
            frames.push(data.into_owned());
        }
        off = data_off + caplen;
    }
    if frames.is_empty() {
        return Err(bad(off, "no packets to send in the file".into()));
    }
    Ok(frames)
}

/// Reads and decodes a pcap file.
pub fn read(path: &Path, max_len: u32) -> Result<Vec<Vec<u8>>, PcapError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| PcapError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    decode(&file, &bytes, max_len)
}
