// Verilator options of every build of the NIC, read with `verilator -f`:
// the co-simulation's models (cosim/build.rs, through vlbuild) and the C++
// harness (rtl/harness/Makefile). Changing them rebuilds both.
-O3
--x-assign fast
--x-initial fast
