//! The records of `rtl/regmap.toml`, parsed with serde and validated: names,
//! register offsets, field bit ranges and layout field placement.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The whole register map file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegMap {
    pub device: Device,
    #[serde(rename = "reg")]
    pub regs: Vec<Reg>,
    #[serde(rename = "layout", default)]
    pub layouts: Vec<Layout>,
    #[serde(rename = "constant", default)]
    pub constants: Vec<Constant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: u32,
    pub version: u32,
    /// Bits of a register's offset.
    pub addr_width: u32,
    /// Bits of a register (the AXI4-Lite data); the generators support 32.
    pub data_width: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Ro,
    Rw,
    W1c,
    Wo,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Ro => "ro",
            Access::Rw => "rw",
            Access::W1c => "w1c",
            Access::Wo => "wo",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reg {
    pub name: String,
    pub offset: u32,
    pub access: Access,
    pub reset: u32,
    pub desc: String,
    #[serde(default)]
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    /// `[msb, lsb]`
    pub bits: [u32; 2],
    pub desc: String,
}

impl Field {
    pub fn msb(&self) -> u32 {
        self.bits[0]
    }
    pub fn lsb(&self) -> u32 {
        self.bits[1]
    }
    pub fn width(&self) -> u32 {
        self.msb() - self.lsb() + 1
    }
    pub fn mask(&self) -> u32 {
        let ones = if self.width() == 32 {
            u32::MAX
        } else {
            (1u32 << self.width()) - 1
        };
        ones << self.lsb()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    pub size: u32,
    pub desc: String,
    pub fields: Vec<LayoutField>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutField {
    pub name: String,
    /// Byte offset in the layout.
    pub offset: u32,
    /// Width in bytes.
    pub width: u32,
    pub desc: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constant {
    pub name: String,
    pub value: u64,
    pub desc: String,
}

/// Why a register map could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegMapError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {source}")]
    Syntax {
        origin: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("{origin}: {problem}")]
    Invalid {
        origin: String,
        #[source]
        problem: Problem,
    },
}

/// A rule of the register map that the file breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("device data_width {0}: registers must be 32 bits wide")]
    DataWidth(u32),
    #[error("register `{0}`: name must be UPPER_SNAKE_CASE")]
    RegName(String),
    #[error("register `{0}` defined twice")]
    RegTwice(String),
    #[error("register `{reg}`: offset {offset:#x} must be 4-byte aligned and below {span:#x}")]
    RegOffset { reg: String, offset: u32, span: u64 },
    #[error("register `{reg}`: offset {offset:#x} already used")]
    OffsetTwice { reg: String, offset: u32 },
    #[error("register `{reg}` field `{field}`: name must be UPPER_SNAKE_CASE")]
    FieldName { reg: String, field: String },
    #[error(
        "register `{reg}` field `{field}`: bits {bits:?} must be [msb, lsb] with 31 >= msb >= lsb"
    )]
    FieldBits {
        reg: String,
        field: String,
        bits: [u32; 2],
    },
    #[error("register `{reg}` field `{field}` overlaps another field")]
    FieldOverlap { reg: String, field: String },
    #[error("layout `{layout}` field `{field}`: width must be 1, 2, 4 or 8 and the offset naturally aligned")]
    LayoutFieldWidth { layout: String, field: String },
    #[error("layout `{layout}` field `{field}` ends past the layout's size {size}")]
    LayoutFieldPastEnd {
        layout: String,
        field: String,
        size: u32,
    },
    #[error("layout `{layout}` field `{field}` overlaps")]
    LayoutFieldOverlap { layout: String, field: String },
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl RegMap {
    /// Reads, parses and validates the register map at `path`.
    pub fn load(path: &Path) -> Result<RegMap, RegMapError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegMapError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        RegMap::parse(&text, &path.display().to_string())
    }

    /// Parses and validates `text`; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<RegMap, RegMapError> {
        let map: RegMap = toml::from_str(text).map_err(|source| RegMapError::Syntax {
            origin: origin.to_string(),
            source,
        })?;
        map.validate().map_err(|problem| RegMapError::Invalid {
            origin: origin.to_string(),
            problem,
        })?;
        Ok(map)
    }

    /// The register named `name`.
    pub fn reg(&self, name: &str) -> Option<&Reg> {
        self.regs.iter().find(|r| r.name == name)
    }

    fn validate(&self) -> Result<(), Problem> {
        if self.device.data_width != 32 {
            return Err(Problem::DataWidth(self.device.data_width));
        }
        let span = 1u64 << self.device.addr_width;
        let mut names = BTreeSet::new();
        let mut offsets = BTreeSet::new();
        for r in &self.regs {
            if !is_ident(&r.name) {
                return Err(Problem::RegName(r.name.clone()));
            }
            if !names.insert(r.name.clone()) {
                return Err(Problem::RegTwice(r.name.clone()));
            }
            if r.offset % 4 != 0 || u64::from(r.offset) >= span {
                return Err(Problem::RegOffset {
                    reg: r.name.clone(),
                    offset: r.offset,
                    span,
                });
            }
            if !offsets.insert(r.offset) {
                return Err(Problem::OffsetTwice {
                    reg: r.name.clone(),
                    offset: r.offset,
                });
            }
            validate_fields(r)?;
        }
        self.layouts.iter().try_for_each(validate_layout)
    }
}

fn validate_fields(r: &Reg) -> Result<(), Problem> {
    let mut used = 0u32;
    for f in &r.fields {
        let (reg, field) = (r.name.clone(), f.name.clone());
        if !is_ident(&f.name) {
            return Err(Problem::FieldName { reg, field });
        }
        if f.msb() > 31 || f.lsb() > f.msb() {
            let bits = f.bits;
            return Err(Problem::FieldBits { reg, field, bits });
        }
        if used & f.mask() != 0 {
            return Err(Problem::FieldOverlap { reg, field });
        }
        used |= f.mask();
    }
    Ok(())
}

fn validate_layout(l: &Layout) -> Result<(), Problem> {
    let mut covered = 0u64;
    for f in &l.fields {
        let (layout, field) = (l.name.clone(), f.name.clone());
        if !matches!(f.width, 1 | 2 | 4 | 8) || f.offset % f.width != 0 {
            return Err(Problem::LayoutFieldWidth { layout, field });
        }
        if f.offset + f.width > l.size {
            let size = l.size;
            return Err(Problem::LayoutFieldPastEnd {
                layout,
                field,
                size,
            });
        }
        let bits = ((1u64 << f.width) - 1) << f.offset;
        if covered & bits != 0 {
            return Err(Problem::LayoutFieldOverlap { layout, field });
        }
        covered |= bits;
    }
    Ok(())
}
