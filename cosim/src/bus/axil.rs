//! AXI4-Lite master for the NIC's register window: one access at a time.
//! [`crate::Sim::read_reg`] / [`crate::Sim::write_reg`] start an access and
//! clock the model until the response (or a timeout).

use ::axi::Resp;

/// What the master drives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxilMasterSignals {
    pub awvalid: bool,
    pub awaddr: u16,
    pub wvalid: bool,
    pub wdata: u32,
    pub wstrb: u8,
    pub bready: bool,
    pub arvalid: bool,
    pub araddr: u16,
    pub rready: bool,
}

/// What the slave (the NIC) drives, sampled before the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxilSlaveSignals {
    pub awready: bool,
    pub wready: bool,
    pub bvalid: bool,
    pub bresp: u8,
    pub arready: bool,
    pub rvalid: bool,
    pub rdata: u32,
    pub rresp: u8,
}

/// Read or write, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxilOp {
    Read,
    Write(u32),
}

/// A register access that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AxilError {
    #[error("{op:?} of register {reg}: SLVERR")]
    SlvErr { reg: RegName, op: AxilOp },
    #[error("{op:?} of register {reg}: DECERR")]
    DecErr { reg: RegName, op: AxilOp },
    #[error("{op:?} of register {reg}: no response within {cycles} cycles")]
    Timeout {
        reg: RegName,
        op: AxilOp,
        cycles: u64,
    },
    #[error("{op:?} of register {reg}: another access ({busy}) is still in progress")]
    Busy {
        reg: RegName,
        op: AxilOp,
        busy: RegName,
    },
    #[error("register offset {0:#x} is outside the 4 KiB window or not 4-byte aligned")]
    BadOffset(u32),
}

/// A register offset with its name from the register map, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegName(pub u32);

impl std::fmt::Display for RegName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match nic_hw::regs::name_of(self.0) {
            Some(n) => write!(f, "{n} ({:#05x})", self.0),
            None => write!(f, "{:#05x} (not in the register map)", self.0),
        }
    }
}

/// What one cycle of the register bus did, as [`AxilMaster::update`] saw
/// it: the points at which an observer (the contract monitor) learns the
/// driver's register writes and the NIC's read data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxilEvent {
    /// The slave took both the address and the data of a write: from the
    /// next cycle the NIC may act on it (it may still refuse it).
    WriteTaken { reg: u32, value: u32 },
    /// The write's response arrived.
    WriteDone { reg: u32, value: u32, resp: Resp },
    /// The slave took the address of a read.
    ReadTaken { reg: u32 },
    /// The read's data arrived.
    ReadDone { reg: u32, value: u32, resp: Resp },
}

/// Deliberate protocol violations by the master, to show that the RTL's
/// assertions catch them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxilMisbehave {
    /// Offer ARVALID for one cycle only, even if ARREADY was low.
    DropArValidEarly,
    /// Offer AWVALID/WVALID for one cycle only, even if not accepted.
    DropAwValidEarly,
    /// Change ARADDR while ARVALID is waiting for ARREADY.
    ChangeArAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Write {
        addr: u16,
        data: u32,
        aw_done: bool,
        w_done: bool,
    },
    Read {
        addr: u16,
        ar_done: bool,
    },
}

/// The AXI4-Lite master state machine.
#[derive(Debug)]
pub struct AxilMaster {
    state: State,
    out: AxilMasterSignals,
    result: Option<Result<u32, AxilError>>,
    misbehave: Option<AxilMisbehave>,
    offered: u32,
}

impl Default for AxilMaster {
    fn default() -> Self {
        Self::new()
    }
}

impl AxilMaster {
    pub fn new() -> Self {
        Self {
            state: State::Idle,
            out: AxilMasterSignals::default(),
            result: None,
            misbehave: None,
            offered: 0,
        }
    }

    pub fn set_misbehave(&mut self, m: Option<AxilMisbehave>) {
        self.misbehave = m;
    }

    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    fn check(&self, reg: u32, op: AxilOp) -> Result<u16, AxilError> {
        if reg >= 0x1000 || reg & 3 != 0 {
            return Err(AxilError::BadOffset(reg));
        }
        match self.state {
            State::Idle => Ok(reg as u16),
            State::Write { addr, .. } | State::Read { addr, .. } => Err(AxilError::Busy {
                reg: RegName(reg),
                op,
                busy: RegName(u32::from(addr)),
            }),
        }
    }

    /// Starts a read of the register at byte offset `reg`.
    pub fn start_read(&mut self, reg: u32) -> Result<(), AxilError> {
        let addr = self.check(reg, AxilOp::Read)?;
        self.state = State::Read {
            addr,
            ar_done: false,
        };
        self.result = None;
        self.offered = 0;
        Ok(())
    }

    /// Starts a write of `value` to the register at byte offset `reg`.
    pub fn start_write(&mut self, reg: u32, value: u32) -> Result<(), AxilError> {
        let addr = self.check(reg, AxilOp::Write(value))?;
        self.state = State::Write {
            addr,
            data: value,
            aw_done: false,
            w_done: false,
        };
        self.result = None;
        self.offered = 0;
        Ok(())
    }

    /// The access in progress.
    pub fn current(&self) -> Option<(RegName, AxilOp)> {
        match self.state {
            State::Idle => None,
            State::Write { addr, data, .. } => {
                Some((RegName(u32::from(addr)), AxilOp::Write(data)))
            }
            State::Read { addr, .. } => Some((RegName(u32::from(addr)), AxilOp::Read)),
        }
    }

    /// The finished access's result (read data, or 0 for a write).
    pub fn take_result(&mut self) -> Option<Result<u32, AxilError>> {
        self.result.take()
    }

    /// Gives up on the current access (after a timeout).
    pub fn abort(&mut self) {
        self.state = State::Idle;
        self.out = AxilMasterSignals::default();
    }

    /// The master's outputs for this cycle.
    #[inline]
    pub fn drive(&mut self) -> AxilMasterSignals {
        let mut o = AxilMasterSignals {
            bready: true,
            rready: true,
            ..Default::default()
        };
        match self.state {
            State::Idle => {}
            State::Write {
                addr,
                data,
                aw_done,
                w_done,
            } => {
                let drop =
                    self.misbehave == Some(AxilMisbehave::DropAwValidEarly) && self.offered > 0;
                o.awvalid = !aw_done && !drop;
                o.awaddr = addr;
                o.wvalid = !w_done && !drop;
                o.wdata = data;
                o.wstrb = 0xf;
            }
            State::Read { addr, ar_done } => {
                let drop =
                    self.misbehave == Some(AxilMisbehave::DropArValidEarly) && self.offered > 0;
                o.arvalid = !ar_done && !drop;
                o.araddr = addr;
                if self.misbehave == Some(AxilMisbehave::ChangeArAddr) && self.offered > 0 {
                    o.araddr = addr ^ 0x4;
                }
            }
        }
        if o.arvalid || o.awvalid || o.wvalid {
            self.offered += 1;
        }
        self.out = o;
        o
    }

    /// Advances from the slave's outputs sampled before the edge; returns
    /// what the access did this cycle, if anything.
    #[inline]
    pub fn update(&mut self, s: &AxilSlaveSignals) -> Option<AxilEvent> {
        let o = self.out;
        match &mut self.state {
            State::Idle => None,
            State::Write {
                addr,
                data,
                aw_done,
                w_done,
            } => {
                let reg = u32::from(*addr);
                let value = *data;
                let was_taken = *aw_done && *w_done;
                *aw_done |= o.awvalid && s.awready;
                *w_done |= o.wvalid && s.wready;
                if s.bvalid && o.bready {
                    let resp = Resp::from_bits(s.bresp);
                    self.result = Some(resp_result(resp, RegName(reg), AxilOp::Write(value), 0));
                    self.state = State::Idle;
                    return Some(AxilEvent::WriteDone { reg, value, resp });
                }
                (!was_taken && *aw_done && *w_done).then_some(AxilEvent::WriteTaken { reg, value })
            }
            State::Read { addr, ar_done } => {
                let reg = u32::from(*addr);
                let was_taken = *ar_done;
                *ar_done |= o.arvalid && s.arready;
                if s.rvalid && o.rready {
                    let resp = Resp::from_bits(s.rresp);
                    self.result = Some(resp_result(resp, RegName(reg), AxilOp::Read, s.rdata));
                    self.state = State::Idle;
                    return Some(AxilEvent::ReadDone {
                        reg,
                        value: s.rdata,
                        resp,
                    });
                }
                (!was_taken && *ar_done).then_some(AxilEvent::ReadTaken { reg })
            }
        }
    }
}

fn resp_result(r: Resp, reg: RegName, op: AxilOp, v: u32) -> Result<u32, AxilError> {
    match r {
        Resp::Okay | Resp::ExOkay => Ok(v),
        Resp::SlvErr => Err(AxilError::SlvErr { reg, op }),
        Resp::DecErr => Err(AxilError::DecErr { reg, op }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A register slave for the master's tests: ID at 0, SLVERR at ID (write),
    /// DECERR elsewhere, one cycle of latency.
    fn axil_run(
        m: &mut AxilMaster,
        slave_resp: impl Fn(u16, bool) -> (u8, u32),
    ) -> Result<u32, AxilError> {
        let mut pending: Option<(u8, u32, bool)> = None;
        for _ in 0..50 {
            let o = m.drive();
            let mut s = AxilSlaveSignals {
                awready: true,
                wready: true,
                arready: true,
                ..Default::default()
            };
            if let Some((resp, data, write)) = pending {
                if write {
                    s.bvalid = true;
                    s.bresp = resp;
                } else {
                    s.rvalid = true;
                    s.rresp = resp;
                    s.rdata = data;
                }
            }
            m.update(&s);
            if let Some(r) = m.take_result() {
                return r;
            }
            if o.arvalid {
                let (r, d) = slave_resp(o.araddr, false);
                pending = Some((r, d, false));
            }
            if o.awvalid && o.wvalid {
                let (r, d) = slave_resp(o.awaddr, true);
                pending = Some((r, d, true));
            }
        }
        panic!("no AXI-Lite response");
    }

    #[test]
    fn update_reports_when_the_slave_took_an_access_and_answered_it() {
        let mut m = AxilMaster::new();
        m.start_write(0x10c, 5).unwrap();
        let o = m.drive();
        assert!(o.awvalid && o.wvalid);
        let take = AxilSlaveSignals {
            awready: true,
            wready: true,
            ..Default::default()
        };
        assert_eq!(
            m.update(&take),
            Some(AxilEvent::WriteTaken {
                reg: 0x10c,
                value: 5
            })
        );
        m.drive();
        assert_eq!(m.update(&AxilSlaveSignals::default()), None);
        m.drive();
        let b = AxilSlaveSignals {
            bvalid: true,
            bresp: 2,
            ..Default::default()
        };
        assert_eq!(
            m.update(&b),
            Some(AxilEvent::WriteDone {
                reg: 0x10c,
                value: 5,
                resp: Resp::SlvErr
            })
        );
        m.start_read(0x300).unwrap();
        m.drive();
        let ar = AxilSlaveSignals {
            arready: true,
            ..Default::default()
        };
        assert_eq!(m.update(&ar), Some(AxilEvent::ReadTaken { reg: 0x300 }));
        m.drive();
        let r = AxilSlaveSignals {
            rvalid: true,
            rdata: 9,
            ..Default::default()
        };
        assert_eq!(
            m.update(&r),
            Some(AxilEvent::ReadDone {
                reg: 0x300,
                value: 9,
                resp: Resp::Okay
            })
        );
    }

    #[test]
    fn axil_master_reads_writes_and_names_registers_in_errors() {
        use nic_hw::regs;
        let slave = |a: u16, write: bool| match (u32::from(a), write) {
            (regs::ID, false) => (0, 0x4E49_4331),
            (regs::ID, true) => (2, 0),
            _ => (3, 0),
        };
        let mut m = AxilMaster::new();
        m.start_read(regs::ID).unwrap();
        assert_eq!(axil_run(&mut m, slave), Ok(0x4E49_4331));
        m.start_write(regs::ID, 1).unwrap();
        let e = axil_run(&mut m, slave).unwrap_err();
        assert_eq!(
            e,
            AxilError::SlvErr {
                reg: RegName(regs::ID),
                op: AxilOp::Write(1)
            }
        );
        assert!(e.to_string().contains("ID (0x000)"), "{e}");
        m.start_read(0xff0).unwrap();
        let e = axil_run(&mut m, slave).unwrap_err();
        assert!(matches!(
            e,
            AxilError::DecErr {
                reg: RegName(0xff0),
                op: AxilOp::Read
            }
        ));
        assert_eq!(m.start_read(0x1000), Err(AxilError::BadOffset(0x1000)));
        m.start_read(regs::CTRL).unwrap();
        assert!(matches!(
            m.start_write(regs::ID, 0),
            Err(AxilError::Busy { .. })
        ));
    }
}
