//! The response code of a B or R beat.

use serde::Serialize;

/// An AXI response code (`BRESP`, `RRESP`). Printed and serialized as AXI
/// names it (`OKAY`, `EXOKAY`, `SLVERR`, `DECERR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Resp {
    #[default]
    Okay,
    ExOkay,
    SlvErr,
    DecErr,
}

impl Resp {
    /// The two-bit encoding on the bus.
    pub const fn bits(self) -> u8 {
        match self {
            Resp::Okay => 0,
            Resp::ExOkay => 1,
            Resp::SlvErr => 2,
            Resp::DecErr => 3,
        }
    }

    /// The response a two-bit field encodes (higher bits are ignored).
    pub const fn from_bits(b: u8) -> Resp {
        match b & 3 {
            0 => Resp::Okay,
            1 => Resp::ExOkay,
            2 => Resp::SlvErr,
            _ => Resp::DecErr,
        }
    }

    /// SLVERR or DECERR.
    pub const fn is_err(self) -> bool {
        matches!(self, Resp::SlvErr | Resp::DecErr)
    }
}

impl std::fmt::Display for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resp::Okay => "OKAY",
            Resp::ExOkay => "EXOKAY",
            Resp::SlvErr => "SLVERR",
            Resp::DecErr => "DECERR",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_and_names() {
        for r in [Resp::Okay, Resp::ExOkay, Resp::SlvErr, Resp::DecErr] {
            assert_eq!(Resp::from_bits(r.bits()), r);
            assert_eq!(Resp::from_bits(r.bits() | 4), r);
        }
        assert!(Resp::SlvErr.is_err() && Resp::DecErr.is_err());
        assert!(!Resp::Okay.is_err() && !Resp::ExOkay.is_err());
        assert_eq!(Resp::SlvErr.to_string(), "SLVERR");
        assert_eq!(Resp::ExOkay.to_string(), "EXOKAY");
    }
}
