//! Parity of the driver's stack side with Linux 6.12 LTS (net/core/skbuff.c,
//! net/core/xdp.c), one module per kernel function. Each test names the
//! kernel function it follows and the 6.12 behaviour in its doc comment.
//! pool/PARITY.md is the table of functions, Rust items and status.

mod common;
mod skb_clone;
mod skb_release_data;
mod skb_try_coalesce;
mod xdp_return_frame;
mod xdp_return_frame_bulk;
mod xdp_rxq_info_reg_mem_model;
