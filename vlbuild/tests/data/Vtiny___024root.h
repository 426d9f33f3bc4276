// Verilated -*- C++ -*-
// DESCRIPTION: Verilator output: Design internal header
// See Vtiny.h for the primary calling header

#ifndef VERILATED_VTINY___024ROOT_H_
#define VERILATED_VTINY___024ROOT_H_  // guard

#include "verilated.h"

class Vtiny__Syms;

class Vtiny___024root final : public VerilatedModule {
  public:

    // DESIGN SPECIFIC STATE
    VL_IN8(clk_i,0,0);
    VL_IN8(rst_ni,0,0);
    VL_IN8(d_i,7,0);
    VL_OUT8(q_o,7,0);
    VL_OUT8(any_o,0,0);
    CData/*0:0*/ __Vtrigrprev__TOP__clk_i;
    CData/*0:0*/ __VactContinue;
    VL_IN16(sel_i,15,0);
    VL_INW(wide_i,99,0,4);
    VL_OUTW(wide_o,99,0,4);
    IData/*31:0*/ __VstlIterCount;
    IData/*31:0*/ __VicoIterCount;
    IData/*31:0*/ __VactIterCount;
    VlTriggerVec<1> __VstlTriggered;
    VlTriggerVec<1> __VicoTriggered;
    VlTriggerVec<1> __VactTriggered;
    VlTriggerVec<1> __VnbaTriggered;

    // INTERNAL VARIABLES
    Vtiny__Syms* const vlSymsp;

    // CONSTRUCTORS
    Vtiny___024root(Vtiny__Syms* symsp, const char* v__name);
    ~Vtiny___024root();
    VL_UNCOPYABLE(Vtiny___024root);

    // INTERNAL METHODS
    void __Vconfigure(bool first);
} VL_ATTR_ALIGNED(VL_CACHE_LINE_BYTES);


#endif  // guard
