// Co-simulation wrapper around nic_top: every NIC port is passed through
// under the same name (`.*`), so the Rust port table names the NIC's ports.
// The drv_* inputs are ignored by the NIC: the Rust driver side sets them so
// that waveforms show what software was doing (NAPI active, pages in flight,
// doorbell values, DMA sync calls) next to the hardware.
`default_nettype none

module tb_top
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W = 64,
  parameter int unsigned AXI_ADDR_W = 64,
  parameter int unsigned AXI_ID_W   = 4
) (
  input  wire logic                    clk_i,
  input  wire logic                    rst_ni,
  output      logic                    irq_o,

  // AXI4-Lite slave
  input  wire logic [REG_ADDR_W-1:0]   s_axil_awaddr_i,
  input  wire logic                    s_axil_awvalid_i,
  output      logic                    s_axil_awready_o,
  input  wire logic [REG_DATA_W-1:0]   s_axil_wdata_i,
  input  wire logic [REG_DATA_W/8-1:0] s_axil_wstrb_i,
  input  wire logic                    s_axil_wvalid_i,
  output      logic                    s_axil_wready_o,
  output      logic [1:0]              s_axil_bresp_o,
  output      logic                    s_axil_bvalid_o,
  input  wire logic                    s_axil_bready_i,
  input  wire logic [REG_ADDR_W-1:0]   s_axil_araddr_i,
  input  wire logic                    s_axil_arvalid_i,
  output      logic                    s_axil_arready_o,
  output      logic [REG_DATA_W-1:0]   s_axil_rdata_o,
  output      logic [1:0]              s_axil_rresp_o,
  output      logic                    s_axil_rvalid_o,
  input  wire logic                    s_axil_rready_i,

  // AXI4 master, write
  output      logic [AXI_ID_W-1:0]     m_axi_awid_o,
  output      logic [AXI_ADDR_W-1:0]   m_axi_awaddr_o,
  output      logic [7:0]              m_axi_awlen_o,
  output      logic [2:0]              m_axi_awsize_o,
  output      logic [1:0]              m_axi_awburst_o,
  output      logic                    m_axi_awvalid_o,
  input  wire logic                    m_axi_awready_i,
  output      logic [AXI_DATA_W-1:0]   m_axi_wdata_o,
  output      logic [AXI_DATA_W/8-1:0] m_axi_wstrb_o,
  output      logic                    m_axi_wlast_o,
  output      logic                    m_axi_wvalid_o,
  input  wire logic                    m_axi_wready_i,
  input  wire logic [AXI_ID_W-1:0]     m_axi_bid_i,
  input  wire logic [1:0]              m_axi_bresp_i,
  input  wire logic                    m_axi_bvalid_i,
  output      logic                    m_axi_bready_o,

  // AXI4 master, read
  output      logic [AXI_ID_W-1:0]     m_axi_arid_o,
  output      logic [AXI_ADDR_W-1:0]   m_axi_araddr_o,
  output      logic [7:0]              m_axi_arlen_o,
  output      logic [2:0]              m_axi_arsize_o,
  output      logic [1:0]              m_axi_arburst_o,
  output      logic                    m_axi_arvalid_o,
  input  wire logic                    m_axi_arready_i,
  input  wire logic [AXI_ID_W-1:0]     m_axi_rid_i,
  input  wire logic [AXI_DATA_W-1:0]   m_axi_rdata_i,
  input  wire logic [1:0]              m_axi_rresp_i,
  input  wire logic                    m_axi_rlast_i,
  input  wire logic                    m_axi_rvalid_i,
  output      logic                    m_axi_rready_o,

  // AXI-Stream RX in (from the MAC)
  input  wire logic [AXI_DATA_W-1:0]   s_axis_rx_tdata_i,
  input  wire logic [AXI_DATA_W/8-1:0] s_axis_rx_tkeep_i,
  input  wire logic                    s_axis_rx_tlast_i,
  input  wire logic                    s_axis_rx_tvalid_i,
  output      logic                    s_axis_rx_tready_o,

  // AXI-Stream TX out (to the MAC)
  output      logic [AXI_DATA_W-1:0]   m_axis_tx_tdata_o,
  output      logic [AXI_DATA_W/8-1:0] m_axis_tx_tkeep_o,
  output      logic                    m_axis_tx_tlast_o,
  output      logic                    m_axis_tx_tvalid_o,
  input  wire logic                    m_axis_tx_tready_i,

  // Driver-side markers for waveforms (not connected to the NIC)
  input  wire logic                    drv_napi_active_i,
  input  wire logic [31:0]             drv_pool_inflight_i,
  input  wire logic [RING_IDX_W-1:0]   drv_rx_doorbell_i,
  input  wire logic [RING_IDX_W-1:0]   drv_tx_doorbell_i,
  input  wire logic [1:0]              drv_sync_dir_i,
  input  wire logic [15:0]             drv_sync_len_i,
  input  wire logic                    drv_sync_strobe_i
);

  nic_top #(
    .AXI_DATA_W(AXI_DATA_W),
    .AXI_ADDR_W(AXI_ADDR_W),
    .AXI_ID_W  (AXI_ID_W)
  ) u_nic (.*);

  // The markers only exist to be traced.
  wire logic unused_drv = ^{drv_napi_active_i, drv_pool_inflight_i, drv_rx_doorbell_i,
                            drv_tx_doorbell_i, drv_sync_dir_i, drv_sync_len_i,
                            drv_sync_strobe_i};

endmodule

`default_nettype wire
