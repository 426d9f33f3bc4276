// Verilated -*- C++ -*-
// DESCRIPTION: Verilator output: Design implementation internals
// See Vtiny.h for the primary calling header
//
// vlbuild test data: the input-combinational function of
// ../ico_tiny/ with its body moved into a helper it calls (the shape
// Verilator gives a large region), to test that callees are followed.

#include "verilated.h"

#include "Vtiny___024root.h"

void Vtiny___024root___comb__TOP__0(Vtiny___024root* vlSelf);

VL_INLINE_OPT void Vtiny___024root___ico_sequent__TOP__0(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___ico_sequent__TOP__0\n"); );
    // Body
    if ((vlSelf->q_o == vlSelf->d_i)) {
        Vtiny___024root___comb__TOP__0(vlSelf);
    }
}

void Vtiny___024root___comb__TOP__0(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___comb__TOP__0\n"); );
    // Body
    vlSelf->any_o = (0U != (IData)(vlSelf->sel_i));
    vlSelf->wide_o[0U] = vlSelf->wide_i[0U];
}

VL_INLINE_OPT void Vtiny___024root___nba_sequent__TOP__0(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___nba_sequent__TOP__0\n"); );
    // Body
    vlSelf->q_o = ((IData)(vlSelf->rst_ni) ? (IData)(vlSelf->d_i)
                    : 0U);
}
