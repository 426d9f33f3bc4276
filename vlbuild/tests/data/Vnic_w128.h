// Verilated -*- C++ -*-
// DESCRIPTION: Verilator output: Primary model header
//
// This header should be included by all source files instantiating the design.
// The class here is then constructed to instantiate the design.
// See the Verilator manual for examples.

#ifndef VERILATED_VNIC_W128_H_
#define VERILATED_VNIC_W128_H_  // guard

#include "verilated.h"

class Vnic_w128__Syms;
class Vnic_w128___024root;
class VerilatedFstC;

// This class is the main interface to the Verilated model
class Vnic_w128 VL_NOT_FINAL : public VerilatedModel {
  private:
    // Symbol table holding complete model state (owned by this class)
    Vnic_w128__Syms* const vlSymsp;

  public:

    // PORTS
    // The application code writes and reads these signals to
    // propagate new values into/out from the Verilated model.
    VL_IN8(&clk_i,0,0);
    VL_IN8(&rst_ni,0,0);
    VL_OUT8(&irq_o,0,0);
    VL_IN8(&s_axil_awvalid_i,0,0);
    VL_OUT8(&s_axil_awready_o,0,0);
    VL_IN8(&s_axil_wstrb_i,3,0);
    VL_IN8(&s_axil_wvalid_i,0,0);
    VL_OUT8(&s_axil_wready_o,0,0);
    VL_OUT8(&s_axil_bresp_o,1,0);
    VL_OUT8(&s_axil_bvalid_o,0,0);
    VL_IN8(&s_axil_bready_i,0,0);
    VL_IN8(&s_axil_arvalid_i,0,0);
    VL_OUT8(&s_axil_arready_o,0,0);
    VL_OUT8(&s_axil_rresp_o,1,0);
    VL_OUT8(&s_axil_rvalid_o,0,0);
    VL_IN8(&s_axil_rready_i,0,0);
    VL_OUT8(&m_axi_awid_o,3,0);
    VL_OUT8(&m_axi_awlen_o,7,0);
    VL_OUT8(&m_axi_awsize_o,2,0);
    VL_OUT8(&m_axi_awburst_o,1,0);
    VL_OUT8(&m_axi_awvalid_o,0,0);
    VL_IN8(&m_axi_awready_i,0,0);
    VL_OUT8(&m_axi_wlast_o,0,0);
    VL_OUT8(&m_axi_wvalid_o,0,0);
    VL_IN8(&m_axi_wready_i,0,0);
    VL_IN8(&m_axi_bid_i,3,0);
    VL_IN8(&m_axi_bresp_i,1,0);
    VL_IN8(&m_axi_bvalid_i,0,0);
    VL_OUT8(&m_axi_bready_o,0,0);
    VL_OUT8(&m_axi_arid_o,3,0);
    VL_OUT8(&m_axi_arlen_o,7,0);
    VL_OUT8(&m_axi_arsize_o,2,0);
    VL_OUT8(&m_axi_arburst_o,1,0);
    VL_OUT8(&m_axi_arvalid_o,0,0);
    VL_IN8(&m_axi_arready_i,0,0);
    VL_IN8(&m_axi_rid_i,3,0);
    VL_IN8(&m_axi_rresp_i,1,0);
    VL_IN8(&m_axi_rlast_i,0,0);
    VL_IN8(&m_axi_rvalid_i,0,0);
    VL_OUT8(&m_axi_rready_o,0,0);
    VL_IN8(&s_axis_rx_tlast_i,0,0);
    VL_IN8(&s_axis_rx_tvalid_i,0,0);
    VL_OUT8(&s_axis_rx_tready_o,0,0);
    VL_OUT8(&m_axis_tx_tlast_o,0,0);
    VL_OUT8(&m_axis_tx_tvalid_o,0,0);
    VL_IN8(&m_axis_tx_tready_i,0,0);
    VL_IN8(&drv_napi_active_i,0,0);
    VL_IN8(&drv_sync_dir_i,1,0);
    VL_IN8(&drv_sync_strobe_i,0,0);
    VL_IN16(&s_axil_awaddr_i,11,0);
    VL_IN16(&s_axil_araddr_i,11,0);
    VL_OUT16(&m_axi_wstrb_o,15,0);
    VL_IN16(&s_axis_rx_tkeep_i,15,0);
    VL_OUT16(&m_axis_tx_tkeep_o,15,0);
    VL_IN16(&drv_rx_doorbell_i,15,0);
    VL_IN16(&drv_tx_doorbell_i,15,0);
    VL_IN16(&drv_sync_len_i,15,0);
    VL_IN(&s_axil_wdata_i,31,0);
    VL_OUT(&s_axil_rdata_o,31,0);
    VL_OUTW(&m_axi_wdata_o,127,0,4);
    VL_INW(&m_axi_rdata_i,127,0,4);
    VL_INW(&s_axis_rx_tdata_i,127,0,4);
    VL_OUTW(&m_axis_tx_tdata_o,127,0,4);
    VL_IN(&drv_pool_inflight_i,31,0);
    VL_OUT64(&m_axi_awaddr_o,63,0);
    VL_OUT64(&m_axi_araddr_o,63,0);

    // CELLS
    // Public to allow access to /* verilator public */ items.
    // Otherwise the application code can consider these internals.

    // [... trimmed: the model's methods ...]
};

#endif  // guard
