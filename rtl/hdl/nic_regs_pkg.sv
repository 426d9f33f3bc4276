// GENERATED from rtl/regmap.toml by `cargo run -p regmap --bin regmap-gen`. Do not edit.
`default_nettype none

package nic_regs_pkg;

  localparam int unsigned REG_ADDR_W = 12;
  localparam int unsigned REG_DATA_W = 32;
  localparam logic [REG_DATA_W-1:0] DEVICE_ID = 32'h4E494331;
  localparam logic [REG_DATA_W-1:0] DEVICE_VERSION = 32'h00010000;

  // Register offsets and reset values
  localparam logic [REG_ADDR_W-1:0] REG_ID = 12'h000;  // ro
  localparam logic [REG_DATA_W-1:0] RST_ID = 32'h4E494331;
  localparam logic [REG_ADDR_W-1:0] REG_VERSION = 12'h004;  // ro
  localparam logic [REG_DATA_W-1:0] RST_VERSION = 32'h00010000;
  localparam logic [REG_ADDR_W-1:0] REG_CTRL = 12'h008;  // rw
  localparam logic [REG_DATA_W-1:0] RST_CTRL = 32'h00000000;
  localparam int unsigned CTRL_ENABLE_LSB = 0;
  localparam int unsigned CTRL_ENABLE_W = 1;
  localparam int unsigned CTRL_SOFT_RESET_LSB = 1;
  localparam int unsigned CTRL_SOFT_RESET_W = 1;
  localparam int unsigned CTRL_LOOPBACK_LSB = 2;
  localparam int unsigned CTRL_LOOPBACK_W = 1;
  localparam logic [REG_ADDR_W-1:0] REG_STATUS = 12'h00C;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STATUS = 32'h00000004;
  localparam int unsigned STATUS_RX_STOPPED_LSB = 0;
  localparam int unsigned STATUS_RX_STOPPED_W = 1;
  localparam int unsigned STATUS_TX_STOPPED_LSB = 1;
  localparam int unsigned STATUS_TX_STOPPED_W = 1;
  localparam int unsigned STATUS_IDLE_LSB = 2;
  localparam int unsigned STATUS_IDLE_W = 1;
  localparam logic [REG_ADDR_W-1:0] REG_IRQ_STATUS = 12'h010;  // w1c
  localparam logic [REG_DATA_W-1:0] RST_IRQ_STATUS = 32'h00000000;
  localparam int unsigned IRQ_STATUS_RX_CQ_LSB = 0;
  localparam int unsigned IRQ_STATUS_RX_CQ_W = 1;
  localparam int unsigned IRQ_STATUS_TX_CQ_LSB = 1;
  localparam int unsigned IRQ_STATUS_TX_CQ_W = 1;
  localparam int unsigned IRQ_STATUS_DMA_ERR_LSB = 2;
  localparam int unsigned IRQ_STATUS_DMA_ERR_W = 1;
  localparam int unsigned IRQ_STATUS_RX_DROP_LSB = 3;
  localparam int unsigned IRQ_STATUS_RX_DROP_W = 1;
  localparam logic [REG_ADDR_W-1:0] REG_IRQ_MASK = 12'h014;  // rw
  localparam logic [REG_DATA_W-1:0] RST_IRQ_MASK = 32'h0000000F;
  localparam logic [REG_ADDR_W-1:0] REG_IRQ_COAL_FRAMES = 12'h018;  // rw
  localparam logic [REG_DATA_W-1:0] RST_IRQ_COAL_FRAMES = 32'h00000001;
  localparam logic [REG_ADDR_W-1:0] REG_IRQ_COAL_CYCLES = 12'h01C;  // rw
  localparam logic [REG_DATA_W-1:0] RST_IRQ_COAL_CYCLES = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_MAX_FRAME_LEN = 12'h020;  // rw
  localparam logic [REG_DATA_W-1:0] RST_MAX_FRAME_LEN = 32'h000005EE;
  localparam logic [REG_ADDR_W-1:0] REG_RX_HEADROOM = 12'h024;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_HEADROOM = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_DMA_ERR_ADDR_LO = 12'h028;  // ro
  localparam logic [REG_DATA_W-1:0] RST_DMA_ERR_ADDR_LO = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_DMA_ERR_ADDR_HI = 12'h02C;  // ro
  localparam logic [REG_DATA_W-1:0] RST_DMA_ERR_ADDR_HI = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_DMA_ERR_INFO = 12'h030;  // ro
  localparam logic [REG_DATA_W-1:0] RST_DMA_ERR_INFO = 32'h00000000;
  localparam int unsigned DMA_ERR_INFO_RESP_LSB = 0;
  localparam int unsigned DMA_ERR_INFO_RESP_W = 2;
  localparam int unsigned DMA_ERR_INFO_SOURCE_LSB = 2;
  localparam int unsigned DMA_ERR_INFO_SOURCE_W = 3;
  localparam logic [REG_ADDR_W-1:0] REG_RX_RING_BASE_LO = 12'h100;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_RING_BASE_LO = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_RING_BASE_HI = 12'h104;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_RING_BASE_HI = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_RING_SIZE = 12'h108;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_RING_SIZE = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_PROD = 12'h10C;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_PROD = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_CONS = 12'h110;  // ro
  localparam logic [REG_DATA_W-1:0] RST_RX_CONS = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_CQ_BASE_LO = 12'h114;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_CQ_BASE_LO = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_CQ_BASE_HI = 12'h118;  // rw
  localparam logic [REG_DATA_W-1:0] RST_RX_CQ_BASE_HI = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_RX_CQ_PROD = 12'h11C;  // ro
  localparam logic [REG_DATA_W-1:0] RST_RX_CQ_PROD = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_RING_BASE_LO = 12'h200;  // rw
  localparam logic [REG_DATA_W-1:0] RST_TX_RING_BASE_LO = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_RING_BASE_HI = 12'h204;  // rw
  localparam logic [REG_DATA_W-1:0] RST_TX_RING_BASE_HI = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_RING_SIZE = 12'h208;  // rw
  localparam logic [REG_DATA_W-1:0] RST_TX_RING_SIZE = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_PROD = 12'h20C;  // rw
  localparam logic [REG_DATA_W-1:0] RST_TX_PROD = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_CONS = 12'h210;  // ro
  localparam logic [REG_DATA_W-1:0] RST_TX_CONS = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_CQ_BASE_LO = 12'h214;  // rw
  localparam logic [REG_DATA_W-1:0] RST_TX_CQ_BASE_LO = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_CQ_BASE_HI = 12'h218;  // rw
  localparam logic [REG_DATA_W-1:0] RST_TX_CQ_BASE_HI = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_TX_CQ_PROD = 12'h21C;  // ro
  localparam logic [REG_DATA_W-1:0] RST_TX_CQ_PROD = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_RX_FRAMES = 12'h300;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_RX_FRAMES = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_RX_BYTES = 12'h304;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_RX_BYTES = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_RX_DROP_NO_DESC = 12'h308;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_RX_DROP_NO_DESC = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_RX_DROP_TOO_LONG = 12'h30C;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_RX_DROP_TOO_LONG = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_RX_DROP_OFF = 12'h310;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_RX_DROP_OFF = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_TX_FRAMES = 12'h314;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_TX_FRAMES = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_TX_BYTES = 12'h318;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_TX_BYTES = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_DMA_ERRORS = 12'h31C;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_DMA_ERRORS = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_RX_DROP_DMA_ERR = 12'h320;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_RX_DROP_DMA_ERR = 32'h00000000;
  localparam logic [REG_ADDR_W-1:0] REG_STAT_TX_BAD_DESC = 12'h324;  // ro
  localparam logic [REG_DATA_W-1:0] RST_STAT_TX_BAD_DESC = 32'h00000000;

  // In-memory layouts (byte offsets, widths in bytes and in bits)
  localparam int unsigned DESC_SIZE = 16;
  localparam int unsigned DESC_ADDR_OFF = 0;
  localparam int unsigned DESC_ADDR_BYTES = 8;
  localparam int unsigned DESC_ADDR_W = 64;
  localparam int unsigned DESC_LEN_OFF = 8;
  localparam int unsigned DESC_LEN_BYTES = 4;
  localparam int unsigned DESC_LEN_W = 32;
  localparam int unsigned DESC_TAG_OFF = 12;
  localparam int unsigned DESC_TAG_BYTES = 4;
  localparam int unsigned DESC_TAG_W = 32;
  localparam int unsigned CPL_SIZE = 16;
  localparam int unsigned CPL_LEN_OFF = 0;
  localparam int unsigned CPL_LEN_BYTES = 4;
  localparam int unsigned CPL_LEN_W = 32;
  localparam int unsigned CPL_TAG_OFF = 4;
  localparam int unsigned CPL_TAG_BYTES = 4;
  localparam int unsigned CPL_TAG_W = 32;
  localparam int unsigned CPL_DESC_IDX_OFF = 8;
  localparam int unsigned CPL_DESC_IDX_BYTES = 2;
  localparam int unsigned CPL_DESC_IDX_W = 16;
  localparam int unsigned CPL_STATUS_OFF = 10;
  localparam int unsigned CPL_STATUS_BYTES = 1;
  localparam int unsigned CPL_STATUS_W = 8;
  localparam int unsigned CPL_FLAGS_OFF = 11;
  localparam int unsigned CPL_FLAGS_BYTES = 1;
  localparam int unsigned CPL_FLAGS_W = 8;
  localparam int unsigned CPL_TS_OFF = 12;
  localparam int unsigned CPL_TS_BYTES = 4;
  localparam int unsigned CPL_TS_W = 32;

  // Packing functions: a layout's fields into its bytes (little-endian)
  // RX and TX descriptor (driver -> device).
  function automatic logic [DESC_SIZE*8-1:0] desc_pack(
    input logic [DESC_ADDR_W-1:0] addr,
    input logic [DESC_LEN_W-1:0] len,
    input logic [DESC_TAG_W-1:0] tag
  );
    desc_pack = '0;
    desc_pack[DESC_ADDR_OFF*8 +: DESC_ADDR_W] = addr;
    desc_pack[DESC_LEN_OFF*8 +: DESC_LEN_W] = len;
    desc_pack[DESC_TAG_OFF*8 +: DESC_TAG_W] = tag;
  endfunction
  // Completion (device -> driver).
  function automatic logic [CPL_SIZE*8-1:0] cpl_pack(
    input logic [CPL_LEN_W-1:0] len,
    input logic [CPL_TAG_W-1:0] tag,
    input logic [CPL_DESC_IDX_W-1:0] desc_idx,
    input logic [CPL_STATUS_W-1:0] status,
    input logic [CPL_FLAGS_W-1:0] flags,
    input logic [CPL_TS_W-1:0] ts
  );
    cpl_pack = '0;
    cpl_pack[CPL_LEN_OFF*8 +: CPL_LEN_W] = len;
    cpl_pack[CPL_TAG_OFF*8 +: CPL_TAG_W] = tag;
    cpl_pack[CPL_DESC_IDX_OFF*8 +: CPL_DESC_IDX_W] = desc_idx;
    cpl_pack[CPL_STATUS_OFF*8 +: CPL_STATUS_W] = status;
    cpl_pack[CPL_FLAGS_OFF*8 +: CPL_FLAGS_W] = flags;
    cpl_pack[CPL_TS_OFF*8 +: CPL_TS_W] = ts;
  endfunction

  // Constants
  localparam int unsigned CPL_STATUS_OK = 0;  // Completion status: success.
  localparam int unsigned CPL_STATUS_BAD_LEN = 1;  // Completion status: TX descriptor length 0 or above MAX_FRAME_LEN.
  localparam int unsigned CPL_FLAG_PHASE = 1;  // Completion flags: phase bit.
  localparam int unsigned MAX_FRAME_CAP = 9216;  // Largest value MAX_FRAME_LEN accepts.
  localparam int unsigned MAX_RING_SIZE = 4096;  // Largest ring size (entries).
  localparam int unsigned MIN_RING_SIZE = 2;  // Smallest ring size (entries).
  localparam int unsigned MIN_FRAME_LEN = 14;  // Smallest value MAX_FRAME_LEN accepts (an Ethernet header).
  localparam int unsigned MAX_RX_HEADROOM = 4095;  // Largest value RX_HEADROOM accepts.
  localparam int unsigned FRAME_LEN_W = 14;  // Bits of a frame length up to MAX_FRAME_CAP (MAX_FRAME_LEN as the RTL holds it).
  localparam int unsigned FRAME_CNT_W = 16;  // Bits of the RTL's running byte and beat counts of one frame (wider than FRAME_LEN_W).
  localparam int unsigned RX_HEADROOM_W = 12;  // Bits of RX_HEADROOM up to MAX_RX_HEADROOM.
  localparam int unsigned RING_SIZE_W = 13;  // Bits of a ring size up to MAX_RING_SIZE (RX_RING_SIZE, TX_RING_SIZE as the RTL holds them).
  localparam int unsigned RING_IDX_W = 16;  // Bits of the free-running ring indices (*_PROD, *_CONS, *_CQ_PROD; a completion's DESC_IDX).
  localparam int unsigned DMA_ADDR_W = 64;  // Bits of a DMA address inside the NIC (descriptor ADDR, ring and completion bases, DMA_ERR_ADDR); the AXI address may be narrower.
  localparam int unsigned AXI_ID_RD_RX_DESC = 0;  // AXI read ID of RX descriptor fetches.
  localparam int unsigned AXI_ID_RD_TX_DESC = 1;  // AXI read ID of TX descriptor fetches.
  localparam int unsigned AXI_ID_RD_TX_DATA = 2;  // AXI read ID of TX payload reads.
  localparam int unsigned AXI_ID_WR_RX_DATA = 0;  // AXI write ID of RX payload writes.
  localparam int unsigned AXI_ID_WR_RX_CPL = 1;  // AXI write ID of RX completion writes.
  localparam int unsigned AXI_ID_WR_TX_CPL = 2;  // AXI write ID of TX completion writes.
  localparam int unsigned DMA_ERR_SRC_RX_DESC = 0;  // DMA_ERR_INFO.SOURCE: RX descriptor fetch (read).
  localparam int unsigned DMA_ERR_SRC_RX_DATA = 1;  // DMA_ERR_INFO.SOURCE: RX payload write.
  localparam int unsigned DMA_ERR_SRC_RX_CPL = 2;  // DMA_ERR_INFO.SOURCE: RX completion write.
  localparam int unsigned DMA_ERR_SRC_TX_DESC = 3;  // DMA_ERR_INFO.SOURCE: TX descriptor fetch (read).
  localparam int unsigned DMA_ERR_SRC_TX_DATA = 4;  // DMA_ERR_INFO.SOURCE: TX payload read.
  localparam int unsigned DMA_ERR_SRC_TX_CPL = 5;  // DMA_ERR_INFO.SOURCE: TX completion write.
  localparam int unsigned AXI_RESP_OKAY = 0;  // AXI response code OKAY.
  localparam int unsigned AXI_RESP_SLVERR = 2;  // AXI response code SLVERR.
  localparam int unsigned AXI_RESP_DECERR = 3;  // AXI response code DECERR.

endpackage

`default_nettype wire
