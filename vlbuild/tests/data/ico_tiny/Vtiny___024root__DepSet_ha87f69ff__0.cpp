// Verilated -*- C++ -*-
// DESCRIPTION: Verilator output: Design implementation internals
// See Vtiny.h for the primary calling header

#include "verilated.h"

#include "Vtiny___024root.h"

VL_INLINE_OPT void Vtiny___024root___ico_sequent__TOP__0(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___ico_sequent__TOP__0\n"); );
    // Body
    vlSelf->any_o = (0U != (IData)(vlSelf->sel_i));
}

void Vtiny___024root___eval_ico(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___eval_ico\n"); );
    // Body
    if (vlSelf->__VicoTriggered.at(0U)) {
        Vtiny___024root___ico_sequent__TOP__0(vlSelf);
    }
}

void Vtiny___024root___eval_act(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___eval_act\n"); );
}

VL_INLINE_OPT void Vtiny___024root___nba_sequent__TOP__0(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___nba_sequent__TOP__0\n"); );
    // Body
    vlSelf->wide_o[0U] = vlSelf->wide_i[0U];
    vlSelf->wide_o[1U] = vlSelf->wide_i[1U];
    vlSelf->wide_o[2U] = vlSelf->wide_i[2U];
    vlSelf->wide_o[3U] = vlSelf->wide_i[3U];
    vlSelf->q_o = ((IData)(vlSelf->rst_ni) ? (IData)(vlSelf->d_i)
                    : 0U);
}

void Vtiny___024root___eval_nba(Vtiny___024root* vlSelf) {
    if (false && vlSelf) {}  // Prevent unused
    Vtiny__Syms* const __restrict vlSymsp VL_ATTR_UNUSED = vlSelf->vlSymsp;
    VL_DEBUG_IF(VL_DBG_MSGF("+    Vtiny___024root___eval_nba\n"); );
    // Body
    if (vlSelf->__VnbaTriggered.at(0U)) {
        Vtiny___024root___nba_sequent__TOP__0(vlSelf);
    }
}

void Vtiny___024root___eval_triggers__ico(Vtiny___024root* vlSelf);
