//! The NIC's ports as the bus models see them: what every model drives in
//! one cycle ([`NicInputs`]) and what it samples ([`NicOutputs`]), moved
//! through the bridge's port accessors.

use crate::bridge::Ports;
use crate::bus::{
    AddrBeat, AxiMasterSignals, AxiSlaveSignals, AxilMasterSignals, AxilSlaveSignals, AxisBeat,
    WBeat,
};

/// Everything the models drive onto the NIC in one cycle (`clk_i` aside).
#[derive(Debug, Clone, Copy)]
pub(super) struct NicInputs {
    pub(super) rst_n: bool,
    pub(super) mem: AxiSlaveSignals,
    pub(super) axil: AxilMasterSignals,
    pub(super) rx: AxisBeat,
    pub(super) tx_ready: bool,
}

/// Drives `i` onto the NIC's inputs.
#[inline(always)]
pub(super) fn drive(p: &mut Ports, i: &NicInputs) {
    p.set_rst_ni(i.rst_n);
    p.set_m_axi_awready_i(i.mem.awready);
    p.set_m_axi_wready_i(i.mem.wready);
    p.set_m_axi_arready_i(i.mem.arready);
    p.set_m_axi_bvalid_i(i.mem.b.valid);
    p.set_m_axi_bid_i_bits(u128::from(i.mem.b.id));
    p.set_m_axi_bresp_i(i.mem.b.resp.bits());
    p.set_m_axi_rvalid_i(i.mem.r.valid);
    p.set_m_axi_rid_i_bits(u128::from(i.mem.r.id));
    p.set_m_axi_rdata_i_bits(i.mem.r.data);
    p.set_m_axi_rresp_i(i.mem.r.resp.bits());
    p.set_m_axi_rlast_i(i.mem.r.last);
    p.set_s_axil_awvalid_i(i.axil.awvalid);
    p.set_s_axil_awaddr_i(i.axil.awaddr);
    p.set_s_axil_wvalid_i(i.axil.wvalid);
    p.set_s_axil_wdata_i(i.axil.wdata);
    p.set_s_axil_wstrb_i(i.axil.wstrb);
    p.set_s_axil_bready_i(i.axil.bready);
    p.set_s_axil_arvalid_i(i.axil.arvalid);
    p.set_s_axil_araddr_i(i.axil.araddr);
    p.set_s_axil_rready_i(i.axil.rready);
    p.set_s_axis_rx_tvalid_i(i.rx.valid);
    p.set_s_axis_rx_tdata_i_bits(i.rx.data);
    p.set_s_axis_rx_tkeep_i_bits(u128::from(i.rx.keep));
    p.set_s_axis_rx_tlast_i(i.rx.last);
    p.set_m_axis_tx_tready_i(i.tx_ready);
}

/// Everything the NIC drives that a model samples, in one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NicOutputs {
    pub(super) m: AxiMasterSignals,
    pub(super) l: AxilSlaveSignals,
    pub(super) txb: AxisBeat,
    pub(super) rx_ready: bool,
    pub(super) irq: bool,
}

impl NicOutputs {
    /// The port groups that differ.
    pub(super) fn changed(&self, o: &NicOutputs) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut diff = |c: bool, name: &'static str| {
            if c {
                v.push(name);
            }
        };
        diff(self.m.aw != o.m.aw, "m_axi_aw*");
        diff(self.m.w != o.m.w, "m_axi_w*");
        diff(self.m.bready != o.m.bready, "m_axi_bready_o");
        diff(self.m.ar != o.m.ar, "m_axi_ar*");
        diff(self.m.rready != o.m.rready, "m_axi_rready_o");
        diff(self.l != o.l, "s_axil_*");
        diff(self.txb != o.txb, "m_axis_tx_*");
        diff(self.rx_ready != o.rx_ready, "s_axis_rx_tready_o");
        diff(self.irq != o.irq, "irq_o");
        v
    }
}

/// The NIC's outputs as the models see them before the edge.
#[inline(always)]
pub(super) fn sample(p: &Ports) -> NicOutputs {
    let m = AxiMasterSignals {
        aw: AddrBeat {
            valid: p.m_axi_awvalid_o(),
            id: p.m_axi_awid_o_bits() as u8,
            addr: p.m_axi_awaddr_o_bits() as u64,
            len: p.m_axi_awlen_o(),
            size: p.m_axi_awsize_o(),
            burst: p.m_axi_awburst_o(),
        },
        w: WBeat {
            valid: p.m_axi_wvalid_o(),
            data: p.m_axi_wdata_o_bits(),
            strb: p.m_axi_wstrb_o_bits() as u16,
            last: p.m_axi_wlast_o(),
        },
        bready: p.m_axi_bready_o(),
        ar: AddrBeat {
            valid: p.m_axi_arvalid_o(),
            id: p.m_axi_arid_o_bits() as u8,
            addr: p.m_axi_araddr_o_bits() as u64,
            len: p.m_axi_arlen_o(),
            size: p.m_axi_arsize_o(),
            burst: p.m_axi_arburst_o(),
        },
        rready: p.m_axi_rready_o(),
    };
    let l = AxilSlaveSignals {
        awready: p.s_axil_awready_o(),
        wready: p.s_axil_wready_o(),
        bvalid: p.s_axil_bvalid_o(),
        bresp: p.s_axil_bresp_o(),
        arready: p.s_axil_arready_o(),
        rvalid: p.s_axil_rvalid_o(),
        rdata: p.s_axil_rdata_o(),
        rresp: p.s_axil_rresp_o(),
    };
    let txb = AxisBeat {
        valid: p.m_axis_tx_tvalid_o(),
        data: p.m_axis_tx_tdata_o_bits(),
        keep: p.m_axis_tx_tkeep_o_bits() as u16,
        last: p.m_axis_tx_tlast_o(),
    };
    NicOutputs {
        m,
        l,
        txb,
        rx_ready: p.s_axis_rx_tready_o(),
        irq: p.irq_o(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_outputs_are_named_by_port_group() {
        let a = NicOutputs {
            m: AxiMasterSignals::default(),
            l: AxilSlaveSignals::default(),
            txb: AxisBeat::default(),
            rx_ready: false,
            irq: false,
        };
        assert!(a.changed(&a).is_empty());
        let mut b = a;
        b.rx_ready = true;
        b.m.w.valid = true;
        b.irq = true;
        assert_eq!(a.changed(&b), ["m_axi_w*", "s_axis_rx_tready_o", "irq_o"]);
    }
}
