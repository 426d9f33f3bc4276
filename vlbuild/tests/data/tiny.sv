module tiny #(parameter int W = 8) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic [W-1:0] d_i,
  input  logic [15:0]  sel_i,
  input  logic [99:0]  wide_i,
  output logic [W-1:0] q_o,
  output logic         any_o,
  output logic [99:0]  wide_o
);
  always_ff @(posedge clk_i) q_o <= rst_ni ? d_i : '0;
  always_ff @(posedge clk_i) wide_o <= wide_i;
  assign any_o = |sel_i;
endmodule
